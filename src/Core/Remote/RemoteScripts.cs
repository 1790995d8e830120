namespace Wrangler.Core.Remote;

/// <summary>
/// The fixed POSIX sh scripts Wrangler runs on masters' hosts, as <c>sh -c SCRIPT sh ARGS...</c>. Inventory values
/// arrive only as positional parameters, always double-quoted inside the script, so none of them is ever parsed
/// as shell code. Output lines starting with "@@" are ours.
/// </summary>
internal static class RemoteScripts
{
    public static IReadOnlyList<string> Argv(string script, params IEnumerable<string> args) => ["sh", "-c", script, "sh", .. args];

    /// <summary>
    /// $1 master_dir, $2 log lines, then (name, dir, branch) per repo. An hg checkout's revision is read without
    /// starting Python: the first 20 bytes of a v1 <c>.hg/dirstate</c> are the working copy's parent, whose first
    /// 6 bytes in hex are what <c>hg id -i</c> prints, and <c>.hg/branch</c> is its branch (absent: default).
    /// hg itself runs only when that cannot answer: a dirstate-v2 repo, no dirstate, or an uncommitted merge (a second
    /// parent). The fast path does not see uncommitted edits (hg's trailing '+'); docs/performance.md says why that is
    /// accepted. Repos that fall back to hg are read in parallel: hg is slow to start.
    /// </summary>
    public const string Facts = """
        md=$1; n=$2; shift 2
        echo "@@now $(date +%s)"
        read up _ < /proc/uptime 2>/dev/null && echo "@@uptime $up"
        if [ -r "$md/twistd.pid" ]; then
          pid=$(tr -dc 0-9 < "$md/twistd.pid")
          echo "@@pid $pid"
          if [ -n "$pid" ] && et=$(ps -o etimes= -p "$pid" 2>/dev/null); then echo "@@alive $et"; fi
        fi
        if [ -e "$md/reconfig.lock" ]; then echo "@@lock"; fi
        tmp=$(mktemp -d) || exit 3
        i=0
        while [ $# -ge 3 ]; do
          i=$((i+1))
          ( name=$1; dir=$2
            if [ -d "$dir/.hg" ] && ! grep -qx dirstate-v2 "$dir/.hg/requires" 2>/dev/null \
               && p=$(od -An -v -tx1 -N40 "$dir/.hg/dirstate" 2>/dev/null | tr -d ' \n') && [ ${#p} -eq 80 ] \
               && [ "${p#????????????????????????????????????????}" = 0000000000000000000000000000000000000000 ]; then
              b=default; [ -s "$dir/.hg/branch" ] && read -r b < "$dir/.hg/branch"
              out="$(printf '%.12s' "$p") $b"; rc=0
            elif [ -d "$dir/.hg" ]; then out=$(HGPLAIN=1 hg -R "$dir" id -i -b 2>&1); rc=$?
            elif [ -e "$dir/.git" ]; then out=$(git -C "$dir" rev-parse --short=12 HEAD 2>&1 && git -C "$dir" rev-parse --abbrev-ref HEAD 2>&1); rc=$?
            else out="no hg or git checkout at $dir"; rc=1; fi
            printf '@@repo\t%s\t%s\t%s\n' "$name" "$rc" "$(printf '%s' "$out" | tr '\n\t' '  ')" > "$tmp/$i" ) &
          shift 3
        done
        wait
        cat "$tmp"/* 2>/dev/null
        rm -rf "$tmp"
        echo "@@log"
        tail -n "$n" "$md/twistd.log" 2>&1
        exit 0
        """;

    /// <summary>$1 master_dir, $2 signal. Exit 3: not running.</summary>
    public const string Signal = """
        md=$1; sig=$2
        if [ ! -r "$md/twistd.pid" ]; then echo "no twistd.pid in $md: the master is not running" >&2; exit 3; fi
        pid=$(tr -dc 0-9 < "$md/twistd.pid")
        if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then echo "twistd.pid says '$pid', which is not running" >&2; exit 3; fi
        kill -s "$sig" "$pid" && echo "sent SIG$sig to $pid"
        """;

    /// <summary>$1 master_dir, $2 buildbot_bin. buildbot stop gives up after ~10 s; then SIGKILL.</summary>
    public const string HardStop = """
        md=$1; bin=$2
        "$bin" stop "$md" 2>&1
        if [ -r "$md/twistd.pid" ]; then
          pid=$(tr -dc 0-9 < "$md/twistd.pid")
          if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -s KILL "$pid" && echo "process $pid survived buildbot stop; sent SIGKILL"
            sleep 0.5
            rm -f "$md/twistd.pid"
          fi
        fi
        if [ -r "$md/twistd.pid" ]; then pid=$(tr -dc 0-9 < "$md/twistd.pid"); kill -0 "$pid" 2>/dev/null && exit 1; fi
        exit 0
        """;

    /// <summary>
    /// $1 master_dir, $2 seconds. Sends SIGHUP and prints the log from that moment until a reconfig outcome line.
    /// The log size is taken before the signal, so nothing the master writes is missed; the tail is bounded by
    /// timeout and killed when the outcome is seen, so nothing is left behind on the host.
    /// Exit 0 complete, 1 aborted, 2 partially applied, 3 not running, 4 timed out.
    /// </summary>
    public const string Reconfig = """
        md=$1; t=$2; log="$md/twistd.log"
        if [ ! -r "$md/twistd.pid" ]; then echo "@@notrunning no twistd.pid in $md"; exit 3; fi
        pid=$(tr -dc 0-9 < "$md/twistd.pid")
        if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then echo "@@notrunning twistd.pid says '$pid', which is not running"; exit 3; fi
        off=$(( $(stat -c %s "$log" 2>/dev/null || echo 0) + 1 ))
        d=$(mktemp -d) || exit 5
        mkfifo "$d/f" || exit 5
        timeout "$t" tail -F -c "+$off" "$log" > "$d/f" 2>/dev/null &
        tp=$!
        kill -s HUP "$pid"
        rc=4
        while IFS= read -r line; do
          printf '%s\n' "$line"
          case "$line" in
            *"configuration update complete"*) rc=0; break;;
            *"configuration update aborted"*) rc=1; break;;
            *"configuration update partially applied"*) rc=2; break;;
          esac
        done < "$d/f"
        kill "$tp" 2>/dev/null
        rm -rf "$d"
        exit $rc
        """;

    /// <summary>$1 log. Follows from the current end; a heartbeat on stderr makes the script notice a closed connection and stop its tail.</summary>
    public const string Follow = """
        log=$1
        off=$(( $(stat -c %s "$log" 2>/dev/null || echo 0) + 1 ))
        tail -F -c "+$off" "$log" 2>/dev/null &
        tp=$!
        trap 'kill $tp 2>/dev/null' EXIT INT TERM HUP PIPE
        echo "@@following" >&2
        while kill -0 "$tp" 2>/dev/null; do sleep 5; echo "@@hb" >&2 || exit 0; done
        """;

    /// <summary>$1..: (name, dir, branch) per repo. Pull, then update to the branch tip; --check refuses to merge local changes.</summary>
    /// <summary>
    /// Moves checkouts: "$1" is "update" (pull, then the tip of the given branch) or "restore" (no pull, the given
    /// revision: the undo of an update whose config failed its check); then triples of name, dir, branch-or-revision.
    /// </summary>
    public const string Repos = """
        mode=$1; shift
        while [ $# -ge 3 ]; do
          name=$1; dir=$2; target=$3; shift 3
          if [ -d "$dir/.hg" ]; then
            before=$(HGPLAIN=1 hg -R "$dir" id -i 2>/dev/null)
            if [ "$mode" = update ]; then
              out=$(HGPLAIN=1 hg -R "$dir" pull -q 2>&1 && HGPLAIN=1 hg -R "$dir" update -q --check -r "$target" 2>&1); rc=$?
            else
              out=$(HGPLAIN=1 hg -R "$dir" update -q --check -r "$target" 2>&1); rc=$?
            fi
            after=$(HGPLAIN=1 hg -R "$dir" id -i 2>/dev/null)
          elif [ -e "$dir/.git" ]; then
            before=$(git -C "$dir" rev-parse --short=12 HEAD 2>/dev/null)
            if [ "$mode" = update ]; then
              out=$(git -C "$dir" fetch -q origin "$target" 2>&1 && git -C "$dir" checkout -q "$target" 2>&1 && git -C "$dir" merge -q --ff-only "origin/$target" 2>&1); rc=$?
            else
              out=$(git -C "$dir" checkout -q "$target" 2>&1); rc=$?
            fi
            after=$(git -C "$dir" rev-parse --short=12 HEAD 2>/dev/null)
          else
            before=; after=; out="no hg or git checkout at $dir"; rc=1
          fi
          printf '@@repo\t%s\t%s\t%s\t%s\n' "$name" "$rc" "$before" "$after"
          printf '%s\n' "$out" | sed 's/^/  /'
        done
        exit 0
        """;

}
