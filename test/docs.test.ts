/** The reference pages of docs/ are what the code's own tables say (npm run docs writes them). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REFERENCE_PAGES } from '../src/cli/reference';

describe('docs/', () => {
  test.each(Object.entries(REFERENCE_PAGES))('%s is current (run npm run docs when the code changed)', (page, render) => {
    expect(readFileSync(path.join(__dirname, '..', 'docs', page), 'utf8')).toBe(render());
  });
});

/** GitHub's anchor for a heading. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*]/g, '')
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

describe('links in README.md and docs/', () => {
  const root = path.join(__dirname, '..');
  const pages = ['README.md', ...readdirSync(path.join(root, 'docs')).map((page) => `docs/${page}`)];

  test.each(pages)('every relative link of %s leads to a file, and to a heading there', (page) => {
    const text = readFileSync(path.join(root, page), 'utf8');
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((link) => !/^https?:/.test(link));
    for (const link of links) {
      const [file, anchor] = link.split('#');
      const target = file === '' ? path.join(root, page) : path.resolve(path.dirname(path.join(root, page)), file);
      expect({ link, exists: existsSync(target) }).toEqual({ link, exists: true });
      if (anchor === undefined || !target.endsWith('.md')) continue;
      const content = readFileSync(target, 'utf8');
      const headings = [
        ...[...content.matchAll(/^#+ (.*)$/gm)].map((match) => anchorOf(match[1])),
        ...[...content.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]),
      ];
      expect({ link, anchor: headings.includes(anchor) }).toEqual({ link, anchor: true });
    }
  });
});
