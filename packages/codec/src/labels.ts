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

/** Checks labels already sorted by name; returns why the set is invalid, or null. */
const validateSorted = (labels: readonly Label[]): InvalidLabelsReason | null => {
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

/**
 * Puts a decoded label list into the normalized form, in place: labels with empty values removed
 * (Prometheus treats them as absent), sorted by name, and checked. Returns why the set is
 * invalid, or null.
 */
export const normalizeLabels = (labels: Label[]): InvalidLabelsReason | null => {
  // Fast path: Prometheus sends labels sorted, so one pass drops empty values, confirms the order
  // and validates; only an unsorted set pays for a sort and a second pass.
  let write = 0;
  let previous = '';
  let hasMetricName = false;
  let problem: InvalidLabelsReason | null = null;
  let sorted = true;
  for (let read = 0; read < labels.length; read++) {
    const label = labels[read] as Label;
    const name = label.name;
    if (label.value === '' && name !== '') continue;
    if (write > 0) {
      // Fast path: adjacent names usually differ in their first character; below the surrogate
      // range that character alone decides the UTF-8 order.
      const first = name.charCodeAt(0);
      if (!(previous.charCodeAt(0) < first && first < 0xd800)) {
        const order = compareUtf8(previous, name);
        if (order > 0) sorted = false;
        else if (order === 0) problem ??= 'duplicate_label_name';
      }
    }
    if (name === '') problem ??= 'empty_label_name';
    else if (name === METRIC_NAME_LABEL) hasMetricName = true;
    previous = name;
    labels[write++] = label;
  }
  if (write !== labels.length) labels.length = write;
  if (!sorted) {
    labels.sort(byName);
    return validateSorted(labels);
  }
  if (write === 0) return 'empty_label_set';
  return problem ?? (hasMetricName ? null : 'missing_metric_name');
};
