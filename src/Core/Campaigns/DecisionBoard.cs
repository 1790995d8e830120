namespace Wrangler.Core.Campaigns;

/// <summary>
/// Hands a person's decision to the master waiting for it, at once and in memory. The database
/// (<see cref="Persistence.CampaignMasterRecord.PendingDecision"/>) is the record: it is written first, and read back
/// only when a master's run starts (after a restart, a decision taken before the crash is still honoured).
/// Keyed by the campaign master's id.
/// </summary>
public sealed class DecisionBoard
{
    private readonly Lock gate = new();
    private readonly Dictionary<long, Slot> slots = [];

    /// <summary>Sets (or, with null, clears) the decision for a master and wakes whoever waits on it.</summary>
    public void Post(long masterRunId, MasterDecision? decision)
    {
        TaskCompletionSource woken;
        lock (gate)
        {
            var slot = SlotOf(masterRunId);
            slot.Decision = decision;
            woken = slot.Swap();
        }

        woken.TrySetResult();
    }

    /// <summary>Wakes whoever waits on a master without a decision: something else changed (the campaign was aborted).</summary>
    public void Wake(long masterRunId)
    {
        TaskCompletionSource woken;
        lock (gate)
        {
            woken = SlotOf(masterRunId).Swap();
        }

        woken.TrySetResult();
    }

    public MasterDecision? Peek(long masterRunId)
    {
        lock (gate)
        {
            return slots.TryGetValue(masterRunId, out var slot) ? slot.Decision : null;
        }
    }

    /// <summary>
    /// Completes at the next <see cref="Post"/> or <see cref="Wake"/> for this master. Take it before looking at
    /// <see cref="Peek"/>, so a decision posted in between is not missed.
    /// </summary>
    public Task Changed(long masterRunId)
    {
        lock (gate)
        {
            return SlotOf(masterRunId).Signal.Task;
        }
    }

    /// <summary>The master's run is over: nothing waits on it any more.</summary>
    public void Forget(long masterRunId)
    {
        TaskCompletionSource? woken = null;
        lock (gate)
        {
            if (slots.Remove(masterRunId, out var slot))
            {
                woken = slot.Signal;
            }
        }

        woken?.TrySetResult();
    }

    private Slot SlotOf(long id)
    {
        if (!slots.TryGetValue(id, out var slot))
        {
            slots[id] = slot = new Slot();
        }

        return slot;
    }

    private sealed class Slot
    {
        public MasterDecision? Decision { get; set; }

        public TaskCompletionSource Signal { get; private set; } = New();

        public TaskCompletionSource Swap()
        {
            var old = Signal;
            Signal = New();
            return old;
        }

        private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
