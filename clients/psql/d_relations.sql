-- psql \d of the demo source and of the other two views.
\d telemetry
\d device_hourly
\d user_activity
