// The benchmark database: a tomedo-like schema (patients, visits with free-text findings) filled by
// generate_series inside the server, sized to a target with pg_database_size.
//
// The findings are free text drawn word by word from a medical vocabulary by a hash of the row, so
// they compress like real notes (about 3:1 in pg_dump -Fc), not like one repeated template (20:1):
// otherwise the dump would be almost free and the benchmark would measure nothing but start-up.
import type { PgServer } from '../test/helpers/postgres';

export interface BenchDb {
  database: string;
  bytes: number;
  patients: number;
  visits: number;
}

const WORDS = `Patient Patientin berichtet klagt seit Tagen Wochen Monaten über Schmerzen Druckgefühl Schwindel
Übelkeit Husten Auswurf Fieber Abgeschlagenheit Kopfschmerz Rückenschmerz Thorax Abdomen weich kein Druckschmerz
Darmgeräusche regelrecht Herz rhythmisch rein Lunge vesikulär beidseits belüftet keine Rasselgeräusche RR Puls
Temperatur Sättigung unauffällig auffällig leicht deutlich erhöht erniedrigt Befund Labor Blutbild CRP Leukozyten
Kreatinin Glukose HbA1c TSH Cholesterin Therapie Ibuprofen Metamizol Pantoprazol Ramipril Metformin Salbutamol
Amoxicillin Kontrolle Wiedervorstellung bei Verschlechterung Überweisung Orthopädie Kardiologie Gastroenterologie
Sonographie EKG Röntgen unauffällig Sinusrhythmus Lagetyp Indifferenztyp keine Erregungsrückbildungsstörungen
Arbeitsunfähigkeit bescheinigt Rezept ausgestellt Impfung durchgeführt Influenza COVID Tetanus Beratung Ernährung
Bewegung Rauchstopp Gewichtsreduktion Blutdruckprotokoll mitgegeben Medikation unverändert angepasst reduziert
gesteigert abgesetzt Allergie keine bekannt Vorerkrankungen Hypertonie Diabetes Asthma COPD Hypothyreose Migräne
Depression Adipositas Zustand nach Operation Appendektomie Cholezystektomie Knie TEP Hüfte links rechts beidseits
Anamnese Untersuchung Diagnose Procedere Verlauf gebessert stabil verschlechtert Beschwerdefreiheit erreicht`
  .split(/\s+/)
  .filter(Boolean);

const sqlArray = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')}]`;

async function fill(pg: PgServer, db: string, patients: number, visitsPerPatient: number): Promise<void> {
  const w = sqlArray(WORDS);
  const n = WORDS.length;
  await pg.psql(
    `
DROP TABLE IF EXISTS besuch, patient;
CREATE TABLE patient (
  id integer PRIMARY KEY,
  nachname text NOT NULL, vorname text NOT NULL, geburtsdatum date NOT NULL,
  strasse text, plz char(5), ort text, krankenkasse text, versichertennummer char(10), angelegt timestamptz NOT NULL
);
CREATE TABLE besuch (
  id bigint PRIMARY KEY,
  patient_id integer NOT NULL REFERENCES patient(id),
  datum timestamptz NOT NULL, anlass text NOT NULL, diagnose_icd text, befund text, arzt text
);
INSERT INTO patient
SELECT i,
       (ARRAY['Müller','Schmidt','Schneider','Fischer','Weber','Meyer','Wagner','Becker','Schulz','Hoffmann','Schäfer','Koch','Bauer','Richter','Klein','Wolf','Schröder','Neumann','Schwarz','Öztürk'])[1 + abs(hashint4(i)) % 20],
       (ARRAY['Anna','Maria','Ursula','Monika','Petra','Sabine','Renate','Zoë','Käthe','Hans','Peter','Klaus','Jürgen','Michael','Thomas','Sören','Uwe','Björn','Günter','Mehmet'])[1 + abs(hashint4(i + 7)) % 20],
       date '1935-01-01' + abs(hashint4(i + 11)) % 31000,
       (ARRAY['Hauptstraße','Schulstraße','Gartenweg','Bahnhofstraße','Lindenallee','Am Mühlbach'])[1 + i % 6] || ' ' || (1 + abs(hashint4(i + 13)) % 120),
       lpad((abs(hashint4(i + 17)) % 99999)::text, 5, '0'),
       (ARRAY['Berlin','Hamburg','München','Köln','Frankfurt am Main','Leipzig','Dresden'])[1 + i % 7],
       (ARRAY['AOK Nordost','TK','BARMER','DAK-Gesundheit','IKK classic','Privat'])[1 + abs(hashint4(i + 19)) % 6],
       chr(65 + i % 26) || lpad(i::text, 9, '0'),
       timestamptz '2015-01-02 08:00:00+01' + i * interval '7 minutes'
FROM generate_series(1, ${patients}) AS i;
INSERT INTO besuch
SELECT (p - 1) * ${visitsPerPatient} + v, p,
       timestamptz '2015-01-02 08:00:00+01' + (abs(hashint4(p * 31 + v)) % 3650) * interval '1 day',
       (ARRAY['Sprechstunde','Kontrolle','Hausbesuch','Vorsorge','Impfung','Akut'])[1 + (p + v) % 6],
       (ARRAY['J06.9','I10.90','E11.90','M54.5','K21.9','F32.9','J45.9','Z00.0','R51','L30.9'])[1 + abs(hashint4(p * v)) % 10],
       (SELECT string_agg((${w})[1 + abs(hashint8(((p::bigint * ${visitsPerPatient} + v) << 8) + k)) % ${n}], ' ')
          FROM generate_series(1, 12 + abs(hashint4(p * 13 + v)) % 40) AS k),
       (ARRAY['Dr. med. Weiß','Dr. med. Özdemir','Dipl.-Med. Köhler'])[1 + p % 3]
FROM generate_series(1, ${patients}) AS p, generate_series(1, ${visitsPerPatient}) AS v;
CREATE INDEX besuch_patient_datum_idx ON besuch (patient_id, datum);
`,
    db,
  );
  await pg.psql('VACUUM ANALYZE patient; VACUUM ANALYZE besuch; CHECKPOINT;', db);
}

// First guess, corrected by measuring: ~8 MB for an empty database, ~4 KB per patient with 10 visits.
const BASE_BYTES = 7_700_000;
const VISITS_PER_PATIENT = 10;

export async function makeDatabase(pg: PgServer, database: string, targetBytes: number, log: (s: string) => void): Promise<BenchDb> {
  await pg.createDb(database);
  let perPatient = 4000;
  let patients = 0;
  let bytes = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    patients = Math.max(100, Math.round((targetBytes - BASE_BYTES) / perPatient));
    log(`  filling ${database}: ${patients} patients × ${VISITS_PER_PATIENT} visits (generate_series) …`);
    await fill(pg, database, patients, VISITS_PER_PATIENT);
    bytes = Number((await pg.psql(`SELECT pg_database_size(current_database())`, database)).trim());
    if (Math.abs(bytes - targetBytes) / targetBytes <= 0.05) break;
    perPatient = Math.max(100, (bytes - BASE_BYTES) / patients);
    log(`  ${(bytes / 1e6).toFixed(1)} MB, aiming for ${(targetBytes / 1e6).toFixed(0)} MB: again`);
  }
  return { database, bytes, patients, visits: patients * VISITS_PER_PATIENT };
}
