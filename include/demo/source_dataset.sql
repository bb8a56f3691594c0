-- A small source data warehouse for the demo and the tests (schema irp_source): accounts and
-- locations of the sample workbook's four import files, generated deterministically.
-- Data Extraction reads it through the `source_sql` connection; Portfolio Mapping through
-- `databridge`. In production both are SQL Server databases of your own.

CREATE SCHEMA IF NOT EXISTS irp_source;
DROP TABLE IF EXISTS irp_source.locations;
DROP TABLE IF EXISTS irp_source.accounts;

CREATE TABLE irp_source.accounts (
    import_file  VARCHAR(100) NOT NULL,
    date_value   VARCHAR(6)   NOT NULL,
    accntnum     VARCHAR(20)  NOT NULL,
    accntname    VARCHAR(100) NOT NULL,
    cedantid     VARCHAR(20)  NOT NULL,
    cedantname   VARCHAR(100) NOT NULL,
    lobname      VARCHAR(50)  NOT NULL,
    usertxt1     VARCHAR(50)  NOT NULL,  -- line of business detail used by Portfolio Mapping
    PRIMARY KEY (import_file, date_value, accntnum)
);

CREATE TABLE irp_source.locations (
    import_file VARCHAR(100) NOT NULL,
    date_value  VARCHAR(6)   NOT NULL,
    accntnum    VARCHAR(20)  NOT NULL,
    locnum      VARCHAR(20)  NOT NULL,
    street      VARCHAR(100) NOT NULL,
    city        VARCHAR(50)  NOT NULL,
    state       VARCHAR(2)   NOT NULL,
    postalcode  VARCHAR(10)  NOT NULL,
    country     VARCHAR(3)   NOT NULL,
    bldgclass   VARCHAR(10)  NOT NULL,
    occtype     VARCHAR(10)  NOT NULL,
    tiv         NUMERIC(14, 2) NOT NULL,
    PRIMARY KEY (import_file, date_value, accntnum, locnum)
);

INSERT INTO irp_source.accounts
SELECT f.import_file, '202606', f.prefix || lpad(n::text, 4, '0'), f.import_file || ' account ' || n,
       'CED01', 'Demo Mutual Insurance', f.lob,
       CASE f.import_file
           WHEN 'GCHU_Coastal' THEN (ARRAY['HOMEOWNERS', 'CONDO', 'RENTERS'])[1 + n % 3]
           WHEN 'CAEQ' THEN (ARRAY['WOOD', 'MASONRY', 'STEEL'])[1 + n % 3]
           WHEN 'MWST' THEN (ARRAY['HOMEOWNERS', 'FARM'])[1 + n % 2]
           ELSE 'HOMEOWNERS'
       END
FROM (VALUES ('GCHU_Coastal', 'GCC', 'Personal Lines', 30),
             ('GCHU_Inland', 'GCI', 'Personal Lines', 20),
             ('CAEQ', 'CAQ', 'Earthquake', 24),
             ('MWST', 'MWS', 'Farm and Ranch', 16)) AS f(import_file, prefix, lob, accounts)
CROSS JOIN LATERAL generate_series(1, f.accounts) AS n;

INSERT INTO irp_source.locations
SELECT a.import_file, a.date_value, a.accntnum, a.accntnum || '-L' || l,
       (100 + l * 7) || ' Main St', s.city, s.state, s.postalcode, 'US',
       CASE WHEN a.usertxt1 = 'MASONRY' THEN '2' ELSE '1' END,
       CASE WHEN a.usertxt1 = 'FARM' THEN '320' ELSE '301' END,
       250000 + (hashtext(a.accntnum || l) % 100000 + 100000) * 1.5
FROM irp_source.accounts a
JOIN (VALUES ('GCHU_Coastal', 'Galveston', 'TX', '77550'), ('GCHU_Inland', 'Baton Rouge', 'LA', '70801'),
             ('CAEQ', 'San Jose', 'CA', '95112'), ('MWST', 'Wichita', 'KS', '67202'))
     AS s(import_file, city, state, postalcode) ON s.import_file = a.import_file
CROSS JOIN LATERAL generate_series(1, 1 + length(a.accntnum) % 3 + (right(a.accntnum, 1)::int % 2)) AS l;
