// Streaming chat through the official `openai` npm package against a live
// `daulat serve` (demo model from DAULAT_DATA_DIR, free port, API key).
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = process.env.DAULAT_BINARY ?? path.join(here, "../../build/src/cli/daulat");

test("a streamed chat answer arrives in deltas and ends with usage", async () => {
  const apiKey = "node-test-key-" + randomBytes(16).toString("hex");
  // A data folder of its own (the models linked in): a static key replaces the
  // previous one of its data folder, and other test servers use another key.
  const shared = process.env.DAULAT_DATA_DIR ?? path.join(here, "../../.cache/test-data");
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "daulat-node-"));
  fs.symlinkSync(path.resolve(shared, "models"), path.join(data, "models"));
  const server = spawn(binary, ["serve", "--port", "0", "--threads", "1"], {
    env: { ...process.env, DAULAT_API_KEY: apiKey, DAULAT_DATA_DIR: data },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const [line] = await once(createInterface({ input: server.stdout }), "line");
    const base = line.match(/listening on (http:\/\/\S+)/)?.[1];
    assert.ok(base, `server did not start: ${line}`);
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "gemma3-270m",
      messages: [{ role: "user", content: "Apakah ibu negara Malaysia?" }],
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let deltas = 0;
    let usage = null;
    for await (const chunk of stream) {
      if (chunk.choices.length > 0) {
        const piece = chunk.choices[0].delta?.content ?? "";
        if (piece) deltas += 1;
        text += piece;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.match(text, /Kuala Lumpur/);
    assert.ok(deltas > 1, "expected several deltas");
    assert.ok(usage && usage.completion_tokens > 0 && usage.total_tokens === usage.prompt_tokens + usage.completion_tokens);
    await assert.rejects(
      new OpenAI({ baseURL: `${base}/v1`, apiKey: "wrong", maxRetries: 0 }).models.list(),
      (e) => e.status === 401,
    );
  } finally {
    server.kill("SIGTERM");
    const [code] = await once(server, "exit");
    assert.equal(code, 0);
    fs.rmSync(data, { recursive: true, force: true });
  }
});
