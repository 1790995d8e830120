// The runner is Linux only (src/Runner/Platform.cs); so are its tests (real process groups, /proc).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
