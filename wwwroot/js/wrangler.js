// The viewer's IANA time zone, read once per circuit so fire times can be shown in it.
window.wranglerTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
// The app bar's theme toggle: remembered for a year, read by the server on the next request (ThemePreference.cs).
window.wranglerSetTheme = (mode) => {
    document.cookie = `wrangler-theme=${mode}; path=/; max-age=31536000; samesite=lax`;
    document.documentElement.style.colorScheme = mode;
};
// The browser's own preference as last seen, while nobody has chosen: the next page load arrives in it.
window.wranglerSeenTheme = (mode) => {
    document.cookie = `wrangler-theme-seen=${mode}; path=/; max-age=31536000; samesite=lax`;
};
