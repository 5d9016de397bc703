"""What the staff console computes, as pure functions over storage rows: ``stats`` (numbers),
``charts`` (SVG charts with their data tables), ``exports`` (export tables, CSV and XLSX)."""
