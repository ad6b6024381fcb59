-- psql \x: expanded display of stable catalog rows (the demo's view
-- definitions and the columns of one view), then back to aligned output.
\x
SELECT name, source, kind, window_spec, batch_interval FROM lambda_views ORDER BY name;
SELECT table_name, column_name, ordinal_position, is_nullable, data_type
FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'user_activity'
ORDER BY ordinal_position;
\x
SELECT count(*) AS views FROM lambda_views;
