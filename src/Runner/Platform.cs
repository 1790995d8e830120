// The runner signals process groups and reads /proc: a Linux worker host is its only platform.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
