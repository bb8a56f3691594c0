-- Sub-portfolios of GCHU_Coastal: one row per (sub-portfolio, account) assignment.
-- Named bound parameters available: import_file, portfolio, date_value, cycle_type, edm.
-- Each sub-portfolio's name ends as its base portfolio's does after the import file name: empty
-- for the sample, _s0002 for copy 2 of a workbook from tools/make_sample_workbook.py --scale
-- (base portfolio GCHU_Coastal_s0002, same import file, sub-portfolio GCHU_Coastal_Condo_s0002).
SELECT CASE a.usertxt1 WHEN 'CONDO' THEN 'GCHU_Coastal_Condo' ELSE 'GCHU_Coastal_Renters' END
       || SUBSTRING(%(portfolio)s FROM CHAR_LENGTH(%(import_file)s) + 1) AS sub_portfolio,
       a.accntnum AS account_number
FROM irp_source.accounts a
WHERE a.import_file = %(import_file)s AND a.date_value = %(date_value)s
  AND a.usertxt1 IN ('CONDO', 'RENTERS')
ORDER BY 1, 2
