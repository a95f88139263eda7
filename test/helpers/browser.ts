import fetchCookie from 'fetch-cookie';
import { CookieJar } from 'tough-cookie';

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  html: string;
}

/**
 * A small browser for tests: one cookie jar, redirects followed one by one, and the two things a
 * real browser does on identity pages: it submits auto-submitting forms (form_post responses)
 * and loads the front-channel logout iframes of the identity platform's sign-out page.
 *
 * Iframes are loaded WITHOUT cookies, as browsers that block third-party cookies do: a sample
 * must sign the user out from the `sid` alone.
 */
export class Browser {
  readonly jar = new CookieJar();
  readonly fetch = fetchCookie(fetch, this.jar);
  /** The front-channel logout URLs loaded by the last sign-out page this browser saw. */
  frontChannelRequests: Array<{ url: string; status: number; headers: Headers }> = [];
  /** Set to false to stop at a form_post page (to tamper with the authorization response). */
  autoSubmitForms = true;

  async get(url: string): Promise<Page> {
    return this.navigate(url, { method: 'GET' });
  }

  async post(url: string, form: Record<string, string>): Promise<Page> {
    return this.navigate(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** One request, no redirect followed, no page behaviour. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    return this.fetch(url, { ...init, redirect: 'manual' });
  }

  /** One form POST, no redirect followed, no page behaviour. */
  async requestForm(url: string, form: Record<string, string>): Promise<Response> {
    return this.request(url, formRequest(form));
  }

  /** Follows redirects, submits form_post pages and runs sign-out pages, like a browser. */
  async navigate(url: string, init: RequestInit, hops = 0): Promise<Page> {
    if (hops > 20) throw new Error(`Too many redirects at ${url}`);
    const response = await this.request(url, init);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      return this.navigate(new URL(location, url).href, { method: 'GET' }, hops + 1);
    }
    const page: Page = {
      url,
      status: response.status,
      headers: response.headers,
      html: await response.text(),
    };
    if (this.autoSubmitForms && isAutoSubmitForm(page.html)) {
      const form = parseForm(page.html, page.url);
      return this.navigate(form.action, formRequest(form.fields), hops + 1);
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
        const frame = await fetch(new URL(src, page.url), { redirect: 'manual' });
        await frame.body?.cancel();
        this.frontChannelRequests.push({ url: src, status: frame.status, headers: frame.headers });
      }
      if (continueUrl)
        return this.navigate(new URL(continueUrl, page.url).href, { method: 'GET' }, hops + 1);
    }
    return page;
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
        page = await this.get(new URL(link, page.url).href);
      } else if (page.html.includes('id="continue-as"')) {
        const form = parseForm(page.html, page.url, (html) => html.includes('id="continue-as"'));
        page = await this.navigate(
          form.action,
          formRequest({ ...form.fields, action: 'continue' }),
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
