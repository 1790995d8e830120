namespace Wrangler.Core.Campaigns;

/// <summary>One line a campaign step's remote command printed (stdout or stderr), as it arrived.</summary>
public sealed record StepOutputLine(long CampaignId, string Master, StepKind Step, string Line);

/// <summary>The last lines of one master's most recent step that printed anything; <see cref="Total"/> counts all of them.</summary>
public sealed record StepOutputTail(StepKind Step, IReadOnlyList<string> Lines, long Total);

/// <summary>
/// The live output of the remote commands campaign steps run, per (campaign, master): only the current step's last
/// <see cref="KeepLines"/> lines are kept, and only for the most recent <see cref="KeepMasters"/> masters, so a chatty
/// command or a long uptime cannot grow memory. Output is for watching, not a record: the step's detail is the record.
/// </summary>
public sealed class StepOutputLog
{
    public const int KeepLines = 200;
    public const int KeepMasters = 256;

    /// <summary>Longer lines are cut: a runaway line must not become a megabyte of DOM.</summary>
    public const int MaxLineLength = 2000;

    private readonly Lock gate = new();
    private readonly Dictionary<(long Campaign, string Master), Tail> tails = [];
    private long clock;

    /// <summary>Raised for every line, on the thread that read it. Handlers must not block (enqueue, then return).</summary>
    public event Action<StepOutputLine>? Appended;

    public void Append(long campaignId, string master, StepKind step, string line)
    {
        if (line.Length > MaxLineLength)
        {
            line = line[..MaxLineLength] + " …";
        }

        lock (gate)
        {
            if (!tails.TryGetValue((campaignId, master), out var tail))
            {
                if (tails.Count >= KeepMasters)
                {
                    tails.Remove(tails.MinBy(t => t.Value.LastWrite).Key);
                }

                tail = tails[(campaignId, master)] = new Tail(step);
            }
            else if (tail.Step != step)
            {
                // A new step: the box shows what the current command prints, not the one before.
                tail.Step = step;
                tail.Lines.Clear();
                tail.Total = 0;
            }

            if (tail.Lines.Count == KeepLines)
            {
                tail.Lines.Dequeue();
            }

            tail.Lines.Enqueue(line);
            tail.Total++;
            tail.LastWrite = ++clock;
        }

        Appended?.Invoke(new StepOutputLine(campaignId, master, step, line));
    }

    /// <summary>The sink a step passes to <see cref="Remote.IMasterHost"/> operations.</summary>
    public Action<string> Sink(long campaignId, string master, StepKind step) => line => Append(campaignId, master, step, line);

    /// <summary>Each master's latest step output in the campaign, the last <paramref name="lines"/> lines of it.</summary>
    public IReadOnlyDictionary<string, StepOutputTail> Tails(long campaignId, int lines = KeepLines)
    {
        lock (gate)
        {
            return tails.Where(t => t.Key.Campaign == campaignId)
                .ToDictionary(t => t.Key.Master, t => new StepOutputTail(t.Value.Step, [.. t.Value.Lines.Skip(Math.Max(0, t.Value.Lines.Count - lines))], t.Value.Total));
        }
    }

    private sealed class Tail(StepKind step)
    {
        public StepKind Step { get; set; } = step;
        public Queue<string> Lines { get; } = new();
        public long Total { get; set; }
        public long LastWrite { get; set; }
    }
}
