// Test image "weft.dev/test/http-get": GETs each URL given as an argument and prints one
// JSON line per URL ({"url","status","body"} or {"url","error"}). Exits 0 when all
// answered 2xx, 1 otherwise.
let failed = 0;
for (const url of process.argv.slice(2)) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = (await response.text()).trim();
    if (!response.ok) failed++;
    process.stdout.write(`${JSON.stringify({ url, status: response.status, body })}\n`);
  } catch (error) {
    failed++;
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    process.stdout.write(`${JSON.stringify({ url, error: cause ?? String(error) })}\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
