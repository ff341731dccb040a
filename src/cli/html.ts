/** Writes the self-contained HTML report files; the rendering lives in src/core/report. */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Profile } from "../protocol/profile";
import { WmprofError } from "../core/errors";
import { packageRoot } from "../core/paths";
import { loadReportAssets, renderComparisonHtml, renderProfileHtml } from "../core/report/html";

function write(path: string, html: string): string {
  const abs = resolve(path);
  try {
    writeFileSync(abs, html);
  } catch (e) {
    throw new WmprofError(`Cannot write report to ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  return abs;
}

export function writeHtmlReport(profile: Profile, path: string): string {
  return write(path, renderProfileHtml(profile, loadReportAssets(join(packageRoot(), "dist"))));
}

export function writeComparisonHtml(profiles: Profile[], path: string): string {
  return write(path, renderComparisonHtml(profiles, loadReportAssets(join(packageRoot(), "dist"))));
}
