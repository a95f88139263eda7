/**
 * What a page owes every reader, measured in real Chromium: axe-core's rules (WCAG 2.x A and AA,
 * and its best practices), run in the page and in each of its frames, and the page's width
 * against its window's, from a phone's to a wide screen's.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';

/** axe-core's script, from npm: evaluated in the page (as devtools would), so no CSP blocks it. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The widths every page must fit: a small phone, a phone, a laptop, a wide screen. */
export const FIT_WIDTHS = [360, 390, 1280, 1920];
/** The widths axe-core runs at (the layouts differ between them; 360 and 1920 add nothing). */
export const AXE_WIDTHS = [390, 1280];

export interface Finding {
  page: string;
  width: number;
  /** A rule of axe-core, or `overflow` for a page wider than its window. */
  rule: string;
  impact: string;
  /** What axe says, and the elements at fault (CSS selectors). */
  detail: string;
}

/**
 * Audits the page as it is now: its width at every width of {@link FIT_WIDTHS}, axe-core at
 * {@link AXE_WIDTHS} (in every frame too). Returns what is wrong; the window is left at 1280.
 */
export async function audit(page: Page, name: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const width of FIT_WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    const overflow = await widestElements(page.mainFrame(), width);
    if (overflow) findings.push({ page: name, width, rule: 'overflow', impact: 'serious', detail: overflow });
    if (!AXE_WIDTHS.includes(width)) continue;
    for (const frame of page.frames()) {
      for (const violation of await axe(frame)) {
        const where = frame === page.mainFrame() ? '' : ` (in the frame ${new URL(frame.url()).pathname})`;
        findings.push({ page: name + where, width, ...violation });
      }
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  return findings;
}

/** The page's width past the window's, and the elements that stick out furthest; or nothing. */
async function widestElements(frame: Frame, width: number): Promise<string | undefined> {
  return frame.evaluate((window) => {
    const page = document.documentElement.scrollWidth;
    if (page <= window) return undefined;
    const out = [...document.querySelectorAll('body *')]
      .map((element) => ({ element, right: element.getBoundingClientRect().right }))
      .filter(({ right }) => right > window + 1)
      .sort((a, b) => b.right - a.right)
      .slice(0, 3)
      .map(({ element, right }) => {
        const id = element.id ? `#${element.id}` : '';
        const classes = element.classList.length > 0 ? `.${[...element.classList].join('.')}` : '';
        return `${element.tagName.toLowerCase()}${id}${classes} to ${Math.round(right)} px`;
      });
    return `${page} px wide in a ${window} px window: ${out.join('; ')}`;
  }, width);
}

/** axe-core's violations in one frame (a frame that closed or navigated meanwhile has none). */
async function axe(frame: Frame): Promise<Array<Omit<Finding, 'page' | 'width'>>> {
  try {
    const loaded = await frame.evaluate(() => 'axe' in window);
    if (!loaded) await frame.evaluate(AXE_SOURCE);
    const violations = await frame.evaluate(async () => {
      const run = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<any> } }).axe.run;
      const results = await run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
        // Frames are audited on their own, in their own documents.
        iframes: false,
      });
      return results.violations.map((violation: any) => ({
        rule: violation.id as string,
        impact: (violation.impact ?? '') as string,
        detail: `${violation.help}: ${violation.nodes
          .slice(0, 4)
          .map((node: any) => node.target.join(' '))
          .join(', ')}`,
      }));
    });
    return violations;
  } catch (error) {
    if (/detached|closed|navigat|destroyed/i.test(String(error))) return [];
    throw error;
  }
}

/** The findings as a person reads them: one line each. */
export function report(findings: Finding[]): string {
  return findings
    .map(({ page, width, rule, impact, detail }) => `${page} @${width}px: ${rule} (${impact}): ${detail}`)
    .join('\n');
}
