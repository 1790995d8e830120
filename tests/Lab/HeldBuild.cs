namespace Wrangler.Lab;

/// <summary>
/// A build of the lab's `sleep` builder that keeps running until <see cref="Release"/> removes its hold file
/// (<see cref="LabFleet.HoldBuildAsync"/>). Disposing releases it too, so a failed test never leaves a master busy.
/// </summary>
public sealed class HeldBuild : IDisposable
{
    internal HeldBuild(LabMaster master, int request, string holdFile)
    {
        Master = master;
        Request = request;
        HoldFile = holdFile;
    }

    public LabMaster Master { get; }

    /// <summary>The build request id, as <see cref="LabFleet.WaitForBuildAsync"/> takes it.</summary>
    public int Request { get; }

    public string HoldFile { get; }

    public bool Released => !File.Exists(HoldFile);

    /// <summary>Lets the build finish (successfully, within a fraction of a second). Idempotent.</summary>
    public void Release() => File.Delete(HoldFile);

    public void Dispose() => Release();
}
