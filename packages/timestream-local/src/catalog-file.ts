/**
 * The catalog file of a store with a data dir: databases, tables and each table's schema (its
 * rows are in DuckDB's file). Written aside and renamed over, so a kill never leaves half of one.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DatabaseState, TableState } from './tables.js';

export interface CatalogContents {
  readonly nextPhysical: number;
  readonly databases: readonly DatabaseState[];
  readonly tables: readonly TableState[];
}

export const saveCatalog = (file: string, contents: CatalogContents): void => {
  const catalog = {
    nextPhysical: contents.nextPhysical,
    databases: contents.databases,
    tables: contents.tables.map((t) => ({
      database: t.database,
      name: t.name,
      arn: t.arn,
      physicalName: t.physicalName,
      creationTime: t.creationTime,
      lastUpdatedTime: t.lastUpdatedTime,
      retention: t.retention,
      magneticWrites: t.magneticWrites,
      dimensions: t.dimensions,
      measureValueColumns: [...t.measureValueColumns],
      multiMeasureColumns: [...t.multiMeasureColumns],
      columnOf: [...t.columnOf],
      measures: [...t.measures].map(([name, m]) => [name, { type: m.type, dimensions: [...m.dimensions] }]),
    })),
  };
  writeFileSync(`${file}.tmp`, JSON.stringify(catalog, null, 2));
  renameSync(`${file}.tmp`, file);
};

/**
 * The catalog a store saved, or undefined when there is none yet. Each table's identity index and
 * DuckDB column set start empty: the caller rebuilds them from the rows (`rebuildIdentities`).
 */
export const loadCatalog = (file: string): CatalogContents | undefined => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const catalog = JSON.parse(text);
  const tables: TableState[] = [];
  for (const t of catalog.tables) {
    tables.push({
      ...t,
      measureValueColumns: new Set(t.measureValueColumns),
      multiMeasureColumns: new Map(t.multiMeasureColumns),
      measures: new Map(
        t.measures.map(([name, m]: [string, { type: string; dimensions: string[] }]) => [
          name,
          { type: m.type, dimensions: new Set(m.dimensions) },
        ]),
      ),
      identities: new Map(),
      physicalColumns: new Set(),
      // A catalog written before the map existed stored every name under itself.
      columnOf: new Map(
        t.columnOf ??
          [...t.dimensions, ...t.multiMeasureColumns.map(([name]: [string]) => name)].map((name) => [
            name,
            name,
          ]),
      ),
      storedBytes: 0,
    });
  }
  return { nextPhysical: catalog.nextPhysical, databases: catalog.databases, tables };
};
