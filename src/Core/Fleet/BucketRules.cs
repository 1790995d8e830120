namespace Wrangler.Core.Fleet;

/// <summary>
/// A bucket is the set of interchangeable masters: <c>bm01-tests1-linux32</c> → <c>tests1-linux32</c>.
/// Cloud datacentres are separate capacity pools, so their masters get <c>-{datacentre}</c> appended
/// (<c>bm51-tests1-linux</c> in <c>aws-us-east-1</c> → <c>tests1-linux-aws-us-east-1</c>).
/// A datacentre counts as cloud when it starts with "aws", "gcp" or "cloud" (case-insensitive);
/// Mozilla's physical ones (scl1, scl3, mtv1) do not.
/// </summary>
public static class BucketRules
{
    private static readonly string[] CloudPrefixes = ["aws", "gcp", "cloud"];

    public static bool IsCloud(string? datacentre) =>
        !string.IsNullOrEmpty(datacentre)
        && CloudPrefixes.Any(p => datacentre.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    public static string BucketOf(string name, string? datacentre)
    {
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        var bucket = dash >= 0 && dash < name.Length - 1 ? name[(dash + 1)..] : name;
        return IsCloud(datacentre) ? $"{bucket}-{datacentre}" : bucket;
    }
}
