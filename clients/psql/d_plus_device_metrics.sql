-- psql \d+ of a lambda view: columns, types, storage and the view definition.
\d+ device_metrics
