namespace Wrangler.Core.Fleet;

public enum MasterRole
{
    Build,
    Try,
    Tests,
    Scheduler,
}
