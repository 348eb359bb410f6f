/**
 * What the docs page (`GET /docs`, Swagger UI) shows of vtrans instead of the plugin's defaults (a
 * Fastify logo, Swagger's favicon, the title "Swagger UI"). Both images are SVG served by this
 * process — the logo as a `data:` URL, which the CSP's `img-src 'self' data:` allows.
 */
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';

/** The page's title. */
export const DOCS_TITLE = 'vtrans API';

/** The play-button mark, drawn at the origin in a 32-unit square. */
const MARK =
  '<rect width="32" height="32" rx="7" fill="#3451d1"/><path d="M12.5 9.5v13l10.5-6.5z" fill="#fff"/>';

/** The top bar's logo: the mark and the name, light on Swagger UI's dark bar. */
export const DOCS_LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="40" viewBox="0 0 128 40" role="img" aria-label="vtrans"><g transform="translate(0 4)">${MARK}</g><text x="42" y="28" font-family="system-ui,-apple-system,'Segoe UI',Roboto,sans-serif" font-size="24" font-weight="700" fill="#fff">vtrans</text></svg>`;

/** The tab's icon: the mark alone. */
export const DOCS_FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32"><title>vtrans</title>${MARK}</svg>`;

/** `@fastify/swagger-ui` options that put them on the page. */
export function docsBranding(): Pick<FastifySwaggerUiOptions, 'logo' | 'theme'> {
  return {
    logo: {
      type: 'image/svg+xml',
      content: Buffer.from(DOCS_LOGO_SVG),
      href: '/docs',
      target: '_self',
    },
    theme: {
      title: DOCS_TITLE,
      favicon: [
        {
          filename: 'favicon.svg',
          rel: 'icon',
          sizes: 'any',
          type: 'image/svg+xml',
          content: Buffer.from(DOCS_FAVICON_SVG),
        },
      ],
    },
  };
}
