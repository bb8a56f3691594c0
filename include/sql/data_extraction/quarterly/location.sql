-- Locations of one import file for the Moody's MRI import (tab-delimited CSV).
-- Named bound parameters available: import_file, portfolio, date_value, cycle_type, edm.
SELECT l.accntnum   AS "ACCNTNUM",
       l.locnum     AS "LOCNUM",
       l.street     AS "STREETNAME",
       l.city       AS "CITY",
       l.state      AS "STATECODE",
       l.postalcode AS "POSTALCODE",
       l.country    AS "CNTRYCODE",
       l.bldgclass  AS "BLDGCLASS",
       l.occtype    AS "OCCTYPE",
       l.tiv        AS "EQCV1VAL"
FROM irp_source.locations l
WHERE l.import_file = %(import_file)s
  AND l.date_value = %(date_value)s
ORDER BY l.accntnum, l.locnum
