// The viewer's IANA time zone, read once per circuit so fire times can be shown in it.
window.wranglerTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
