-- Accounts of one import file for the Moody's MRI import (tab-delimited CSV).
-- Named bound parameters available: import_file, portfolio, date_value, cycle_type, edm.
SELECT a.accntnum   AS "ACCNTNUM",
       a.accntname  AS "ACCNTNAME",
       a.cedantid   AS "CEDANTID",
       a.cedantname AS "CEDANTNAME",
       a.lobname    AS "LOBNAME",
       a.usertxt1   AS "USERTXT1"
FROM irp_source.accounts a
WHERE a.import_file = %(import_file)s
  AND a.date_value = %(date_value)s
ORDER BY a.accntnum
