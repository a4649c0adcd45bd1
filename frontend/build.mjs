// Builds share/jupyter/voila/templates/dash/static/dash-widgets.{js,css} and dash-widgets.LICENSES.txt.
// Run `npm ci && npm run build` here after changing src/, package.json or this file, and commit the output:
// the first line of dash-widgets.js records a fingerprint of those inputs, which
// tests/test_deploy_config.py recomputes, so a change not rebuilt fails the tests.
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const OUT = "../share/jupyter/voila/templates/dash/static";

function inputs() {
  const src = fs.readdirSync("src").sort().map((f) => `src/${f}`);
  return ["build.mjs", "package.json", "package-lock.json", ...src];
}

function fingerprint() {
  const hash = createHash("sha256");
  for (const file of inputs()) hash.update(`${file}\0`).update(fs.readFileSync(file)).update("\0");
  return hash.digest("hex");
}

const banner = `/* dash-widgets, built by frontend/build.mjs; inputs sha256 ${fingerprint()}; licences in dash-widgets.LICENSES.txt */`;
const result = await esbuild.build({
  entryPoints: { "dash-widgets": "src/index.js" },
  outdir: OUT,
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "none",   // collected, with each package's licence file, in dash-widgets.LICENSES.txt
  loader: { ".svg": "dataurl", ".png": "dataurl", ".woff": "dataurl", ".woff2": "dataurl", ".ttf": "dataurl" },
  banner: { js: banner, css: banner },
  metafile: true,
  logLevel: "info",
});

// every package that has code in the bundle, with its licence text
// (the package folder is the innermost node_modules/<name>/ or node_modules/@scope/<name>/ of a file)
const packages = new Set();
for (const out of Object.values(result.metafile.outputs)) {
  for (const [file, use] of Object.entries(out.inputs)) {
    const dir = use.bytesInOutput > 0 && !file.startsWith("(disabled)") && file.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
    if (dir) packages.add(dir[1]);
  }
}
const sections = [...packages].sort().map((dir) => {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const licenceFile = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  const text = licenceFile ? fs.readFileSync(path.join(dir, licenceFile), "utf8").trim() : "(no licence file in the package)";
  return `${meta.name} ${meta.version} (${meta.license || "see below"})\n\n${text}\n`;
});
fs.writeFileSync(path.join(OUT, "dash-widgets.LICENSES.txt"),
  "Third-party code bundled in dash-widgets.js and dash-widgets.css\n\n" + sections.join("\n" + "-".repeat(72) + "\n\n"));
console.log(`${packages.size} packages; fingerprint in the banner`);
