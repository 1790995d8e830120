using System.Text;

namespace Wrangler.Runner;

/// <summary>
/// Follows a log file like <c>tail -F</c>: from its end (or start) onwards, across twistd's rotation
/// (<c>twistd.log</c> renamed to <c>twistd.log.1</c> and a new one started) and truncation. The open file's own
/// path (<c>/proc/self/fd</c>) tells a rename from growth, so lines written just before a rotation are read too.
/// </summary>
public sealed class LogFollower(string path, TimeProvider time, TimeSpan poll) : IDisposable
{
    private FileStream? stream;
    private readonly StringBuilder partial = new();
    private readonly byte[] buffer = new byte[8192];
    private readonly Decoder decoder = Encoding.UTF8.GetDecoder();
    private readonly char[] chars = new char[Encoding.UTF8.GetMaxCharCount(8192)];

    /// <summary>Starts at the current end of the file, so a new run does not see an old run's lines.</summary>
    public void SeekToEnd()
    {
        Open();
        stream?.Seek(0, SeekOrigin.End);
    }

    /// <summary>The lines written since the last call (complete lines only).</summary>
    public IReadOnlyList<string> ReadLines()
    {
        var lines = new List<string>();
        if (stream is null && !Open())
        {
            return lines;
        }

        Drain(lines);
        var change = Change();
        if (change == FileChange.Truncated)
        {
            stream!.Seek(0, SeekOrigin.Begin);
            Drain(lines);
        }
        else if (change == FileChange.Rotated)
        {
            // Whatever was written to the old file before the rename is in the open handle: read it, then switch.
            Drain(lines);
            Flush(lines);
            stream!.Dispose();
            stream = null;
            if (Open())
            {
                Drain(lines);
            }
        }

        return lines;
    }

    public async IAsyncEnumerable<string> FollowAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            foreach (var l in ReadLines())
            {
                yield return l;
            }

            try
            {
                await Task.Delay(poll, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    private bool Open()
    {
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            decoder.Reset();
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    private enum FileChange
    {
        None,
        Rotated,
        Truncated,
    }

    private FileChange Change()
    {
        if (stream is null)
        {
            return FileChange.None;
        }

        string? now;
        try
        {
            now = new FileInfo($"/proc/self/fd/{stream.SafeFileHandle.DangerousGetHandle()}").LinkTarget;
        }
        catch (IOException)
        {
            now = null;
        }

        var renamed = now is not null && now != Path.GetFullPath(path);
        return !File.Exists(path) ? FileChange.None
            : renamed ? FileChange.Rotated
            : new FileInfo(path).Length < stream.Position ? FileChange.Truncated
            : FileChange.None;
    }

    private void Drain(List<string> lines)
    {
        int n;
        while ((n = stream!.Read(buffer, 0, buffer.Length)) > 0)
        {
            var c = decoder.GetChars(buffer, 0, n, chars, 0);
            for (var i = 0; i < c; i++)
            {
                if (chars[i] == '\n')
                {
                    Flush(lines);
                }
                else if (chars[i] != '\r')
                {
                    partial.Append(chars[i]);
                }
            }
        }
    }

    private void Flush(List<string> lines)
    {
        if (partial.Length > 0)
        {
            lines.Add(partial.ToString());
            partial.Clear();
        }
    }

    public void Dispose() => stream?.Dispose();
}
