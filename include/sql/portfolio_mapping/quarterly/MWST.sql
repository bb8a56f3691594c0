-- Farm accounts of MWST: one row per (sub-portfolio, account) assignment.
-- Named bound parameters available: import_file, portfolio, date_value, cycle_type, edm.
SELECT 'MWST_Farm' AS sub_portfolio, a.accntnum AS account_number
FROM irp_source.accounts a
WHERE a.import_file = %(import_file)s AND a.date_value = %(date_value)s AND a.usertxt1 = 'FARM'
ORDER BY 2
