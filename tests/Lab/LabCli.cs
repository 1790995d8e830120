using System.Globalization;

namespace Wrangler.Lab;

/// <summary>`up` / `down` for a persistent lab a person can point a Wrangler at.</summary>
public static class LabCli
{
    private const string Usage = """
        usage:
          dotnet run --project tests/Lab -- up   [--masters N] [--workers M] [--root DIR] [--nagios]
          dotnet run --project tests/Lab -- down [--root DIR]
        DIR defaults to ./.lab
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            var opts = ParseOptions(args.Skip(1).ToArray());
            var root = Path.GetFullPath(opts.GetValueOrDefault("--root") ?? ".lab");
            return args[0] switch
            {
                "up" => await UpAsync(root, Int(opts, "--masters", 3), Int(opts, "--workers", 2), opts.ContainsKey("--nagios")).ConfigureAwait(false),
                "down" => await DownAsync(root).ConfigureAwait(false),
                "hold" => await HoldAsync(root, Int(opts, "--masters", 1), Int(opts, "--workers", 1)).ConfigureAwait(false),
                _ => Fail($"unknown command '{args[0]}'\n{Usage}"),
            };
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or LabPrerequisiteException or LabCommandException or TimeoutException)
        {
            return Fail(e.Message);
        }
    }

    private static async Task<int> UpAsync(string root, int masters, int workers, bool nagios)
    {
        Console.WriteLine($"Starting a lab of {masters} master(s) with {workers} worker(s) each in {root} ...");
        var fleet = await LabFleet.StartAsync(new LabOptions
        {
            Masters = masters,
            WorkersPerMaster = workers,
            Root = root,
            Persistent = true,
            WithNagios = nagios,
            Log = line => Console.WriteLine("  " + line),
        }).ConfigureAwait(false);

        // Deliberately not disposed: `up` leaves the lab running until `down`.
        Console.WriteLine();
        Console.WriteLine($"Lab is up ({fleet.StartupTime.TotalSeconds:0.0} s). Masters:");
        foreach (var m in fleet.Masters)
        {
            Console.WriteLine($"  {m.Name,-24} role {m.Role,-9} REST {m.ApiUrl}   workers: {string.Join(", ", m.Workers.Select(w => w.Name))}");
        }

        Console.WriteLine();
        Console.WriteLine($"sshd:      127.0.0.1:{fleet.Ssh.Port} as {fleet.Ssh.User}, key {fleet.Ssh.IdentityFile}");
        Console.WriteLine($"           ssh {string.Join(' ', fleet.Ssh.Args("buildbot --version").Select(Quote))}");
        if (fleet.Nagios is not null)
        {
            Console.WriteLine($"nagios4:   pid {fleet.Nagios.Pid}, command file {fleet.Nagios.CommandFile}, status {fleet.Nagios.StatusFile}");
        }

        Console.WriteLine($"inventory: {fleet.InventoryPath}");
        Console.WriteLine($"settings:  {fleet.SettingsPath}");
        Console.WriteLine();
        Console.WriteLine("Point Wrangler at it:");
        Console.WriteLine($"  dotnet run --project src/Dashboard -- --Wrangler:Inventory={fleet.InventoryPath} " +
            $"--Wrangler:Ssh:User={fleet.Ssh.User} --Wrangler:Ssh:IdentityFile={fleet.Ssh.IdentityFile} --Wrangler:Ssh:KnownHostsFile={fleet.Ssh.KnownHostsFile} " +
            string.Join(' ', LabRepos.All.Select(r => $"--Wrangler:Repos:{r}:Upstream={fleet.UpstreamDir(r)}")) +
            (fleet.Nagios is null ? "" : $" --Wrangler:Nagios:CommandFile={fleet.Nagios.CommandFile} --Wrangler:Nagios:HostName={{name}}"));
        Console.WriteLine($"  (or merge {fleet.SettingsPath} into the Dashboard's appsettings)");
        Console.WriteLine();
        Console.WriteLine($"Stop it with: dotnet run --project tests/Lab -- down --root {root}");
        return 0;
    }

    /// <summary>
    /// Test aid (not in the usage text): an owned, non-persistent lab that lives until stdin closes.
    /// Killing this process simulates a crashed test run, which the next start must sweep.
    /// </summary>
    private static async Task<int> HoldAsync(string root, int masters, int workers)
    {
        await using var fleet = await LabFleet.StartAsync(new LabOptions { Masters = masters, WorkersPerMaster = workers, Root = root }).ConfigureAwait(false);
        Console.WriteLine("READY " + fleet.Root);
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> DownAsync(string root)
    {
        Console.WriteLine($"Stopping the lab in {root} ...");
        if (!await LabFleet.DownAsync(root).ConfigureAwait(false))
        {
            Console.WriteLine($"No lab there ({LabStateFile.FileName} not found); nothing to do.");
            return 0;
        }

        Console.WriteLine("Lab stopped and its directory removed.");
        return 0;
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i++)
        {
            // A flag without a value.
            if (args[i] == "--nagios")
            {
                d[args[i]] = "";
                continue;
            }

            if (args[i] is not ("--masters" or "--workers" or "--root") || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'\n{Usage}");
            }

            d[args[i]] = args[++i];
        }

        return d;
    }

    private static int Int(Dictionary<string, string> opts, string key, int fallback) =>
        !opts.TryGetValue(key, out var v) ? fallback
        : int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
        : throw new ArgumentException($"{key} needs a positive number, not '{v}'");

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=:@%[]".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    private static int Fail(string message)
    {
        Console.Error.WriteLine("error: " + message);
        return 1;
    }
}
