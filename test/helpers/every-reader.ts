/**
 * What a page owes every reader, measured in real Chromium: axe-core's rules (WCAG 2.x A and AA,
 * and its best practices), run in the page and in each of its frames, and the page's width
 * against its window's, from a phone's to a wide screen's.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';

/** axe-core's script, from npm: evaluated in the page (as devtools would), so no CSP blocks it. */
const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/**
 * The little of the DOM the checks below use, typed here: the project compiles without the DOM's
 * types (they clash with Node's). The functions run in the page, so each names it itself.
 */
interface InPageElement {
  tagName: string;
  id: string;
  classList: Iterable<string> & { length: number };
  clientWidth: number;
  scrollWidth: number;
  textContent: string | null;
  href?: string;
  getBoundingClientRect(): { right: number };
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): Iterable<InPageElement>;
  closest(selector: string): InPageElement | null;
}
interface InPage {
  innerWidth: number;
  document: {
    getElementById(id: string): InPageElement | null;
    documentElement: { scrollWidth: number };
    querySelectorAll(selector: string): Iterable<InPageElement>;
  };
  getComputedStyle(element: InPageElement): { overflowX: string; position: string };
  axe?: {
    run(
      context: unknown,
      options: unknown,
    ): Promise<{
      violations: Array<{
        id: string;
        impact?: string | null;
        help: string;
        nodes: Array<{ target: string[] }>;
      }>;
    }>;
  };
}

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
 * Audits the page as it is now, and each of its frames in its own window: its width at every
 * width of {@link FIT_WIDTHS} (wider than its window, or text cut off), link names, and axe-core
 * at {@link AXE_WIDTHS}. Returns what is wrong; the window is left at 1280.
 */
export async function audit(page: Page, name: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const where = (frame: Frame) =>
    frame === page.mainFrame() ? name : `${name} (in the frame ${new URL(frame.url()).pathname})`;
  for (const width of FIT_WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    for (const frame of page.frames()) {
      if (frame.isDetached() || frame.url() === 'about:blank') continue;
      const found = (rule: string, detail: string | undefined) => {
        if (detail) findings.push({ page: where(frame), width, rule, impact: 'serious', detail });
      };
      found('overflow', await widestElements(frame));
      found('clipped', await clippedText(frame));
      found('link-names', await sameNameLinks(frame));
      if (!AXE_WIDTHS.includes(width)) continue;
      for (const violation of await axe(frame)) {
        findings.push({ page: where(frame), width, ...violation });
      }
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  // One finding per page and rule: the same fault at several widths is said once, at the first.
  const seen = new Set<string>();
  return findings.filter(({ page, rule, detail }) => {
    const key = `${page} ${rule} ${detail}`;
    return !seen.has(key) && Boolean(seen.add(key));
  });
}

/** Text cut off by its box (`overflow: hidden` or `clip`, and wider than the box); or nothing. */
async function clippedText(frame: Frame): Promise<string | undefined> {
  return frame.evaluate(() => {
    const { document, getComputedStyle } = globalThis as unknown as InPage;
    const cut = [...document.querySelectorAll('body *')].filter((element) => {
      const style = getComputedStyle(element);
      const hides = ['hidden', 'clip'].includes(style.overflowX);
      // A visually-hidden element (1 px, for screen readers) is meant to be so.
      const visible = element.clientWidth > 1;
      return (
        hides &&
        visible &&
        element.scrollWidth > element.clientWidth + 1 &&
        element.textContent?.trim()
      );
    });
    if (cut.length === 0) return undefined;
    return cut
      .slice(0, 3)
      .map(
        (element) =>
          `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''} shows ${element.clientWidth} of ${element.scrollWidth} px`,
      )
      .join('; ');
  });
}

/** Links that share a name but lead to different places: a screen reader's list of links cannot tell them apart. */
async function sameNameLinks(frame: Frame): Promise<string | undefined> {
  return frame.evaluate(() => {
    const { document } = globalThis as unknown as InPage;
    const byName = new Map<string, Set<string>>();
    for (const link of document.querySelectorAll('a[href]')) {
      // Its accessible name, as far as links here go: aria-label, aria-labelledby, or its text
      // and images' alt, without what is hidden from assistive technology.
      const labelledBy = (link.getAttribute('aria-labelledby') ?? '')
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' ');
      const text = [...link.querySelectorAll('*')]
        .filter((part) => part.closest('[aria-hidden="true"]') !== null)
        .reduce((all, hidden) => all.replace(hidden.textContent ?? '', ''), link.textContent ?? '');
      const alt = [...link.querySelectorAll('img[alt]')]
        .map((img) => img.getAttribute('alt'))
        .join(' ');
      const name = (link.getAttribute('aria-label') ?? (labelledBy.trim() || `${text} ${alt}`))
        .replace(/\s+/g, ' ')
        .trim();
      byName.set(name, (byName.get(name) ?? new Set()).add(link.href ?? ''));
    }
    const shared = [...byName]
      .filter(([, hrefs]) => hrefs.size > 1)
      .map(([name, hrefs]) => `"${name}" (${hrefs.size} places)`);
    return shared.length > 0
      ? `links named alike, to different places: ${shared.join(', ')}`
      : undefined;
  });
}

/** Pages of one site (origin) under different paths that share a title. */
export function sameTitles(pages: Array<{ name: string; url: string; title: string }>): Finding[] {
  const seen = new Map<string, { path: string; name: string }>();
  const findings: Finding[] = [];
  for (const { name, url, title } of pages) {
    const { origin, pathname } = new URL(url);
    const key = `${origin} ${title}`;
    const first = seen.get(key);
    if (first && first.path !== pathname) {
      findings.push({
        page: name,
        width: 1280,
        rule: 'page-titles',
        impact: 'serious',
        detail: `titled "${title}", as "${first.name}" is`,
      });
    } else if (!first) {
      seen.set(key, { path: pathname, name });
    }
  }
  return findings;
}

/** The document's width past its window's, and the elements that stick out furthest; or nothing. */
async function widestElements(frame: Frame): Promise<string | undefined> {
  return frame.evaluate(() => {
    const { document, innerWidth: window } = globalThis as unknown as InPage;
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
  });
}

/** axe-core's violations in one frame (a frame that closed or navigated meanwhile has none). */
async function axe(frame: Frame): Promise<Array<Omit<Finding, 'page' | 'width'>>> {
  try {
    const loaded = await frame.evaluate(() => 'axe' in globalThis);
    if (!loaded) await frame.evaluate(AXE_SOURCE);
    const violations = await frame.evaluate(async () => {
      const { axe, document } = globalThis as unknown as InPage;
      if (!axe) throw new Error('axe-core is not loaded');
      const run = axe.run.bind(axe);
      const results = await run(document, {
        runOnly: {
          type: 'tag',
          values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'],
        },
        // Frames are audited on their own, in their own documents.
        iframes: false,
      });
      return results.violations.map((violation) => ({
        rule: violation.id,
        impact: violation.impact ?? '',
        detail: `${violation.help}: ${violation.nodes
          .slice(0, 4)
          .map((node) => node.target.join(' '))
          .join(', ')}`,
      }));
    });
    return violations;
  } catch (error) {
    // A frame that went away meanwhile (a page navigating) has nothing left to audit; any other
    // failure is the audit's, and fails the test.
    if (frame.isDetached()) return [];
    throw error;
  }
}

/** The findings as a person reads them: one line each. */
export function report(findings: Finding[]): string {
  return findings
    .map(
      ({ page, width, rule, impact, detail }) =>
        `${page} @${width}px: ${rule} (${impact}): ${detail}`,
    )
    .join('\n');
}
