import Markdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';

/**
 * Markdown a script wrote, shown safely: react-markdown renders no raw HTML (it is dropped; there
 * is no rehype-raw) and removes `javascript:` and other unsafe URLs. Images are shown as links, so
 * a summary cannot make the browser fetch anything by being opened; links open in a new tab
 * without access to this page.
 */
const COMPONENTS: Components = {
  img: ({ src, alt }) =>
    typeof src === 'string' && src !== '' ? (
      <a href={src} target="_blank" rel="noopener noreferrer nofollow">
        🖼 {alt || src}
      </a>
    ) : (
      <span>🖼 {alt}</span>
    ),
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  ),
};

const PLUGINS = [remarkGfm];

export function MarkdownView({ markdown }: { markdown: string }) {
  return (
    <div className="markdown">
      <Markdown remarkPlugins={PLUGINS} components={COMPONENTS}>
        {markdown}
      </Markdown>
    </div>
  );
}
