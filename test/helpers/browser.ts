import { CookieJar } from 'tough-cookie';

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  html: string;
}

/**
 * Which browser the tests act as. `today`: SameSite is enforced (a cross-site POST carries only
 * SameSite=None cookies) and third-party cookies are blocked (a cross-site iframe carries none),
 * as browsers that block them do. For the samples' session cookies, SameSite=Lax, that changes
 * nothing: no browser sends a Lax cookie into a cross-site iframe. `2019`: every cookie goes
 * everywhere, iframes included, as browsers did then for cookies without SameSite (the originals
 * set none).
 */
export type BrowserEra = 'today' | '2019';

/**
 * A small browser for tests: one cookie jar, redirects followed one by one, cookies sent as the
 * `era` says, and the two things a real browser does on identity pages: it submits
 * auto-submitting forms (form_post responses) and loads the front-channel logout iframes of the
 * identity platform's sign-out page.
 */
export class Browser {
  readonly jar = new CookieJar();
  /** The front-channel logout URLs loaded by the last sign-out page this browser saw. */
  frontChannelRequests: Array<{ url: string; status: number; headers: Headers; cookie: string }> =
    [];
  /** Set to false to stop at a form_post page (to tamper with the authorization response). */
  autoSubmitForms = true;

  constructor(readonly era: BrowserEra = 'today') {}

  async get(url: string): Promise<Page> {
    return this.navigate(url, { method: 'GET' });
  }

  async post(url: string, form: Record<string, string>): Promise<Page> {
    return this.navigate(url, formRequest(form));
  }

  /** One request, as typed in the address bar: no redirect followed, no page behaviour. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    return this.send(url, init, undefined, 'top-level');
  }

  /**
   * As {@link request}, following redirects only while they stay on `url`'s origin (node's API
   * link goes through `/auth/acquireToken` to its profile page): a redirect elsewhere (to the
   * identity platform: "sign in again") is the answer.
   */
  async requestWithinOrigin(url: string, hops = 0): Promise<Response> {
    const response = await this.request(url);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location || hops >= 5) return response;
    const next = new URL(location, url);
    if (next.origin !== new URL(url).origin) return response;
    await response.body?.cancel();
    return this.requestWithinOrigin(next.href, hops + 1);
  }

  /** One form POST, no redirect followed, no page behaviour. */
  async requestForm(url: string, form: Record<string, string>): Promise<Response> {
    return this.request(url, formRequest(form));
  }

  /**
   * Follows redirects, submits form_post pages and runs sign-out pages, like a browser. `from` is
   * the page the navigation started on (a form's page, a link's), for SameSite.
   */
  async navigate(url: string, init: RequestInit, hops = 0, from?: string): Promise<Page> {
    if (hops > 20) throw new Error(`Too many redirects at ${url}`);
    const response = await this.send(url, init, from, 'top-level');
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      return this.navigate(new URL(location, url).href, { method: 'GET' }, hops + 1, from);
    }
    const page: Page = {
      url,
      status: response.status,
      headers: response.headers,
      html: await response.text(),
    };
    if (this.autoSubmitForms && isAutoSubmitForm(page.html)) {
      const form = parseForm(page.html, page.url);
      return this.navigate(form.action, formRequest(form.fields), hops + 1, page.url);
    }
    const frontChannelUrls = attributeValues(
      page.html,
      /<iframe[^>]*class="frontchannel-logout"[^>]*>/g,
      'src',
    );
    const continueUrl = attributeValues(page.html, /<a[^>]*id="continue"[^>]*>/g, 'href')[0];
    if (frontChannelUrls.length > 0 || continueUrl) {
      this.frontChannelRequests = [];
      for (const src of frontChannelUrls) {
        const frameUrl = new URL(src, page.url).href;
        const cookie = await this.cookiesFor(frameUrl, page.url, 'GET', 'frame');
        const frame = await this.send(frameUrl, { method: 'GET' }, page.url, 'frame');
        await frame.body?.cancel();
        this.frontChannelRequests.push({
          url: src,
          status: frame.status,
          headers: frame.headers,
          cookie,
        });
      }
      if (continueUrl) {
        return this.navigate(
          new URL(continueUrl, page.url).href,
          { method: 'GET' },
          hops + 1,
          page.url,
        );
      }
    }
    return page;
  }

  /** One HTTP request with this browser's cookies, its answer's cookies kept. */
  private async send(
    url: string,
    init: RequestInit,
    from: string | undefined,
    destination: 'top-level' | 'frame',
  ): Promise<Response> {
    const method = (init.method ?? 'GET').toUpperCase();
    const cookie = await this.cookiesFor(url, from, method, destination);
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    // What a browser asks for when it navigates.
    if (!headers.has('accept')) headers.set('accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    // A frame blocked from third-party cookies does not store them either.
    if (!(destination === 'frame' && this.era === 'today' && !sameSite(url, from))) {
      for (const setCookie of response.headers.getSetCookie()) {
        await this.jar.setCookie(setCookie, url, { ignoreError: true });
      }
    }
    return response;
  }

  /** The cookies this browser sends with a request, as its era does. */
  private async cookiesFor(
    url: string,
    from: string | undefined,
    method: string,
    destination: 'top-level' | 'frame',
  ): Promise<string> {
    if (this.era === '2019') return this.jar.getCookieString(url);
    if (!from || sameSite(url, from))
      return this.jar.getCookieString(url, { sameSiteContext: 'strict' });
    // Cross-site: a frame gets nothing (third-party cookies blocked); a top-level GET gets Lax
    // and None cookies; a top-level POST only None ones.
    if (destination === 'frame') return '';
    const sameSiteContext = method === 'GET' ? 'lax' : 'none';
    return this.jar.getCookieString(url, { sameSiteContext });
  }

  /**
   * Signs in starting at a sample's sign-in URL, doing what a person would on the way: follow a
   * "sign in" link (the python sample's login page), continue as the SSO session's account on the
   * account picker, and fill in the sign-in form if one is shown. Without credentials, the sign-in
   * must complete through SSO alone.
   */
  async signIn(startUrl: string, username?: string, password?: string): Promise<Page> {
    let page = await this.get(startUrl);
    for (let step = 0; step < 3; step += 1) {
      const link = attributeValues(page.html, /<a[^>]*id="sign-in-link"[^>]*>/g, 'href')[0];
      if (link) {
        page = await this.navigate(new URL(link, page.url).href, { method: 'GET' }, 0, page.url);
      } else if (page.html.includes('id="continue-as"')) {
        const form = parseForm(page.html, page.url, (html) => html.includes('id="continue-as"'));
        page = await this.navigate(
          form.action,
          formRequest({ ...form.fields, action: 'continue' }),
          0,
          page.url,
        );
      } else if (page.html.includes('name="passwd"')) {
        if (username === undefined || password === undefined) {
          throw new Error(`Expected single sign-on, got the sign-in form at ${page.url}`);
        }
        return this.submitSignInForm(page, username, password);
      } else {
        break;
      }
    }
    return page;
  }

  async submitSignInForm(signInPage: Page, username: string, password: string): Promise<Page> {
    const form = parseForm(signInPage.html, signInPage.url, (formHtml) =>
      formHtml.includes('name="passwd"'),
    );
    // Pressing Enter submits with the form's first submit button.
    const defaultButton = Object.values(form.buttons)[0] ?? {};
    return this.navigate(
      form.action,
      formRequest({ ...form.fields, ...defaultButton, login: username, passwd: password }),
      0,
      signInPage.url,
    );
  }
}

export interface ParsedForm {
  action: string;
  fields: Record<string, string>;
  /** Named submit buttons, by their text: a click sends `{ [name]: value }` with the fields. */
  buttons: Record<string, Record<string, string>>;
}

/** The first form of a page (or the first that `matches`), with its inputs' preset values. */
export function parseForm(
  html: string,
  pageUrl: string,
  matches: (formHtml: string) => boolean = () => true,
): ParsedForm {
  const formHtml = (html.match(/<form[\s\S]*?<\/form>/g) ?? []).find(matches);
  if (!formHtml) throw new Error(`No such form on ${pageUrl}:\n${html.slice(0, 2000)}`);
  const tag = formHtml.match(/<form[^>]*>/)?.[0] ?? '';
  const action = attribute(tag, 'action') ?? pageUrl;
  const fields: Record<string, string> = {};
  for (const input of formHtml.match(/<input[^>]*>/g) ?? []) {
    const name = attribute(input, 'name');
    // Submit buttons are sent only when clicked; a test clicks one by adding its field.
    if (name && !/type="submit"/i.test(input)) fields[name] = attribute(input, 'value') ?? '';
  }
  const buttons: ParsedForm['buttons'] = {};
  for (const [, tag = '', text = ''] of formHtml.matchAll(/(<button[^>]*>)([\s\S]*?)<\/button>/g)) {
    const name = attribute(tag, 'name');
    if (name) buttons[text.trim()] = { [name]: attribute(tag, 'value') ?? '' };
  }
  return { action: new URL(action, pageUrl).href, fields, buttons };
}

function formRequest(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

function isAutoSubmitForm(html: string): boolean {
  return (
    /<form[^>]*method="post"/i.test(html) &&
    /\.submit\(\)/.test(html) &&
    !html.includes('name="passwd"')
  );
}

function attributeValues(html: string, tagPattern: RegExp, name: string): string[] {
  return (html.match(tagPattern) ?? []).flatMap((tag) => attribute(tag, name) ?? []);
}

function attribute(tag: string, name: string): string | undefined {
  const value = tag.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1];
  return value === undefined ? undefined : decodeEntities(value);
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code) => String.fromCharCode(Number.parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Sites as SameSite sees them: scheme and host (localhost and 127.0.0.1 are two sites). */
function sameSite(url: string, from: string | undefined): boolean {
  if (!from) return true;
  const [a, b] = [new URL(url), new URL(from)];
  return a.protocol === b.protocol && a.hostname === b.hostname;
}
