import type { ComponentChildren } from 'preact';

/**
 * A data table as every page draws it: in a frame that scrolls sideways on a narrow screen (never the
 * page), with column headers; the rows are the caller's `<tr>`s (their first cell a row header).
 */
export function Table({ testid, columns, children }: { testid: string; columns: readonly string[]; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table data-testid={testid}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
