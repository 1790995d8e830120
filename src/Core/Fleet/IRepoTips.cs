namespace Wrangler.Core.Fleet;

/// <summary>The production tips: for each repo name and branch, the upstream head (short hash, as <c>hg id -i</c> prints it).</summary>
public interface IRepoTips
{
    /// <summary>Tips for the given (repo, branch) pairs; a pair whose upstream is unknown or unreadable is absent.</summary>
    Task<IReadOnlyDictionary<(string Repo, string Branch), string>> GetTipsAsync(
        IReadOnlyCollection<(string Repo, string Branch)> wanted, CancellationToken ct);
}

/// <summary>Where the inventory comes from: a file, or the demo fleet.</summary>
public interface IInventorySource : Remote.IInventoryView
{
    InventoryStatus Status { get; }

    /// <summary>Raised after a successful reload or a refused one (then <see cref="Status"/> carries the problems).</summary>
    event Action? Changed;
}
