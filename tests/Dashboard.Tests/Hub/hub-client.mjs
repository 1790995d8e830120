// An external subscriber of /hubs/fleet, as automation would write one with the official JavaScript client.
// Usage: node hub-client.mjs <baseUrl> [timeoutSeconds]
// Prints one JSON object per line on stdout: connected, snapshot, masterChanged, masterRemoved, campaignChanged,
// stepOutput, watching, invoked, error, closed. Reads commands from stdin, one per line: "watch <campaignId>",
// "invoke <Method> [jsonArg…]" (prints invoked {method, ok, error?}; never an error line), "quit".
// With WRANGLER_HUB_PROBE=1 it does not ask for the snapshot after connecting (the auth matrix invokes each method itself).
// Exits by itself after timeoutSeconds (exit code 2) so a forgotten client never hangs a test run.
import * as signalR from "@microsoft/signalr";
import { createInterface } from "node:readline";

const [baseUrl, timeoutArg] = process.argv.slice(2);
if (!baseUrl) {
    console.error("usage: node hub-client.mjs <baseUrl> [timeoutSeconds]");
    process.exit(64);
}
const timeoutSeconds = Number(timeoutArg ?? 120);

const emit = (type, body = {}) => process.stdout.write(JSON.stringify({ type, ...body }) + "\n");

const connection = new signalR.HubConnectionBuilder()
    // The API token comes from the environment so it never shows in a process list.
    .withUrl(new URL("/hubs/fleet", baseUrl).toString(), { accessTokenFactory: () => process.env.WRANGLER_TOKEN ?? "" })
    .configureLogging(signalR.LogLevel.Warning)
    .build();

// Handlers before start, so nothing sent right after the handshake is missed.
connection.on("MasterChanged", master => emit("masterChanged", { master }));
connection.on("MasterRemoved", name => emit("masterRemoved", { name }));
connection.on("CampaignChanged", campaign => emit("campaignChanged", { campaign }));
connection.on("StepOutput", output => emit("stepOutput", { output }));

let exiting = false;
async function finish(code, reason) {
    if (exiting) {
        return;
    }
    exiting = true;
    clearTimeout(timer);
    try {
        await connection.stop();
    } catch (e) {
        emit("error", { message: String(e) });
    }
    emit("closed", { reason });
    // Let stdout drain before exiting: the test reads the last lines too.
    process.stdout.write("", () => process.exit(code));
}

const timer = setTimeout(() => finish(2, "timeout"), timeoutSeconds * 1000);
connection.onclose(error => {
    if (!exiting) {
        emit("error", { message: `connection closed: ${error ?? "by the server"}` });
        finish(3, "connection lost");
    }
});

try {
    await connection.start();
    emit("connected", { transport: connection.connection?.transport?.constructor?.name ?? null });
    if (process.env.WRANGLER_HUB_PROBE !== "1") {
        const masters = await connection.invoke("GetMasters");
        emit("snapshot", { masters });
    }
} catch (e) {
    emit("error", { message: String(e) });
    await finish(1, "could not connect");
}

const commands = createInterface({ input: process.stdin });
commands.on("line", async line => {
    const [verb, arg, ...rest] = line.trim().split(/\s+/);
    if (verb === "invoke") {
        try {
            const result = await connection.invoke(arg, ...rest.map(a => JSON.parse(a)));
            emit("invoked", { method: arg, ok: true, count: Array.isArray(result) ? result.length : null });
        } catch (e) {
            emit("invoked", { method: arg, ok: false, error: String(e) });
        }
        return;
    }
    try {
        if (verb === "watch") {
            await connection.invoke("WatchCampaign", Number(arg));
            emit("watching", { campaignId: Number(arg) });
        } else if (verb === "quit") {
            await finish(0, "quit");
        } else if (verb) {
            emit("error", { message: `unknown command: ${line}` });
        }
    } catch (e) {
        emit("error", { message: String(e) });
    }
});
// The test closing our stdin (or dying) means nobody is listening any more.
commands.on("close", () => finish(0, "stdin closed"));
