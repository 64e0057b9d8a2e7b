import type { ComponentChildren } from 'preact';

/**
 * A wide table's frame: it scrolls sideways on a narrow screen instead of widening the page. It
 * takes the keyboard focus so that it can be scrolled without a mouse (a scrollable region that
 * cannot be focused is unreachable by keyboard), and its label says what it holds.
 */
export function ScrollRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard.
    // biome-ignore lint/a11y/useSemanticElements: a table's frame is not a section of the page.
    <div class="table-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
