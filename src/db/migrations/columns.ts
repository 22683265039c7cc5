import { TableColumnOptions, TableForeignKey } from "typeorm";

// Written with TypeORM's Table API rather than raw SQL so that one migration serves SQLite and PostgreSQL.
export const id = (name = "id"): TableColumnOptions => ({ name, type: "varchar", length: "36", isPrimary: true });
export const ref = (name: string): TableColumnOptions => ({ name, type: "varchar", length: "36" });
export const text = (name: string, length: number, isNullable = true): TableColumnOptions =>
  ({ name, type: "varchar", length: String(length), isNullable });
export const at = (name: string, isNullable = false): TableColumnOptions => text(name, 30, isNullable);
/** Free-form attribute values: unbounded here, capped on input (see resource-input.ts) so no request hits a limit. */
export const long = (name: string): TableColumnOptions => ({ name, type: "text", isNullable: true });
export const serial = (): TableColumnOptions =>
  ({ name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" });
export const cascade = (column: string, table: string): TableForeignKey =>
  new TableForeignKey({ columnNames: [column], referencedTableName: table, referencedColumnNames: ["id"], onDelete: "CASCADE" });

