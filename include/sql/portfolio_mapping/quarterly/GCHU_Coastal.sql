-- Sub-portfolios of GCHU_Coastal: one row per (sub-portfolio, account) assignment.
-- Named bound parameters available: import_file, portfolio, date_value, cycle_type, edm.
SELECT CASE a.usertxt1 WHEN 'CONDO' THEN 'GCHU_Coastal_Condo' ELSE 'GCHU_Coastal_Renters' END AS sub_portfolio,
       a.accntnum AS account_number
FROM irp_source.accounts a
WHERE a.import_file = %(import_file)s AND a.date_value = %(date_value)s
  AND a.usertxt1 IN ('CONDO', 'RENTERS')
ORDER BY 1, 2
