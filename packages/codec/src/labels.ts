import type { InvalidLabelsReason, Label } from './model.js';

export const METRIC_NAME_LABEL = '__name__';

/**
 * Compares strings in UTF-8 byte order, the order Prometheus sorts labels in. Plain `<` compares
 * UTF-16 code units, which disagrees for characters above U+FFFF versus U+E000–U+FFFF.
 */
export const compareUtf8 = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Fast path: below the surrogate range UTF-16 order equals code point order equals UTF-8 order.
    if (ca < 0xd800 && cb < 0xd800) return ca - cb;
    return (a.codePointAt(i) as number) - (b.codePointAt(i) as number);
  }
  return a.length - b.length;
};

const byName = (x: Label, y: Label): number => compareUtf8(x.name, y.name);

/**
 * Puts a decoded label list into the normalized form, in place: labels with empty values removed
 * (Prometheus treats them as absent), sorted by name, and checked. Returns why the set is
 * invalid, or null.
 */
export const normalizeLabels = (labels: Label[]): InvalidLabelsReason | null => {
  let sorted = true;
  let write = 0;
  for (let read = 0; read < labels.length; read++) {
    const label = labels[read] as Label;
    if (label.value === '' && label.name !== '') continue;
    if (write > 0 && sorted && compareUtf8((labels[write - 1] as Label).name, label.name) > 0) sorted = false;
    labels[write++] = label;
  }
  if (write !== labels.length) labels.length = write;
  if (!sorted) labels.sort(byName);

  if (labels.length === 0) return 'empty_label_set';
  let hasMetricName = false;
  for (let i = 0; i < labels.length; i++) {
    const name = (labels[i] as Label).name;
    if (name === '') return 'empty_label_name';
    if (i > 0 && (labels[i - 1] as Label).name === name) return 'duplicate_label_name';
    if (name === METRIC_NAME_LABEL) hasMetricName = true;
  }
  return hasMetricName ? null : 'missing_metric_name';
};
