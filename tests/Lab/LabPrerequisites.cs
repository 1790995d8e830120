namespace Wrangler.Lab;

/// <summary>A program the lab needs is not installed; the message names the Debian package to install.</summary>
public sealed class LabPrerequisiteException(IReadOnlyList<LabPrerequisite> missing)
    : Exception("The Wrangler lab cannot start; missing: " + string.Join("; ", missing.Select(m => $"{m.Path} (Debian package `{m.Package}`)"))
        + ". Install with: apt-get install -y " + string.Join(' ', missing.Select(m => m.Package).Distinct()))
{
    public IReadOnlyList<LabPrerequisite> Missing { get; } = missing;
}

/// <summary>A program the lab runs, and the Debian package that ships it.</summary>
public sealed record LabPrerequisite(string Path, string Package);

public static class LabPrerequisites
{
    public static IReadOnlyList<LabPrerequisite> All { get; } =
    [
        new("/usr/bin/python3", "python3"),
        new("/usr/bin/buildbot", "buildbot"),
        new("/usr/bin/buildbot-worker", "buildbot-worker"),
        new("/usr/bin/hg", "mercurial"),
        new("/usr/sbin/sshd", "openssh-server"),
        new("/usr/bin/ssh", "openssh-client"),
        new("/usr/bin/ssh-keygen", "openssh-client"),
    ];

    /// <summary>Only needed with <see cref="LabOptions.WithNagios"/> or <see cref="LabNagios"/> on its own.</summary>
    public static LabPrerequisite Nagios { get; } = new("/usr/sbin/nagios4", "nagios4");

    public static IReadOnlyList<LabPrerequisite> FindMissing(Func<string, bool>? exists = null) => FindMissing(All, exists);

    public static IReadOnlyList<LabPrerequisite> FindMissing(IEnumerable<LabPrerequisite> needed, Func<string, bool>? exists = null)
    {
        exists ??= File.Exists;
        return needed.Where(p => !exists(p.Path)).ToList();
    }

    /// <summary>Throws <see cref="LabPrerequisiteException"/> unless everything is installed; tests fail, never skip.</summary>
    public static void EnsureInstalled(Func<string, bool>? exists = null) => EnsureInstalled(All, exists);

    /// <summary>Throws <see cref="LabPrerequisiteException"/> unless every one of <paramref name="needed"/> is installed.</summary>
    public static void EnsureInstalled(IEnumerable<LabPrerequisite> needed, Func<string, bool>? exists = null)
    {
        var missing = FindMissing(needed, exists);
        if (missing.Count > 0)
        {
            throw new LabPrerequisiteException(missing);
        }
    }
}
