"""Rewrites a pg_dump of the coachspool schema into schema/current.sql (see scripts/schema-snapshot.sh)."""
import pathlib
import re
import sys

schema_dir, newest = pathlib.Path(sys.argv[1]), sys.argv[2]
dump = sys.stdin.read()

# The function files: which one defines each function, and the triggers they create themselves.
defines, own_triggers = {}, set()
for path in sorted((schema_dir / "functions").glob("*.sql")):
    text = path.read_text()
    for name in re.findall(r"CREATE OR REPLACE FUNCTION coachspool\.([a-z_]+)\(", text):
        defines.setdefault(name, path.name)
    own_triggers.update(re.findall(r"CREATE OR REPLACE TRIGGER ([a-z_]+) ", text))

# The roles' creation, as the migrations state it (0007 the first three, 0018 the reviewer): roles
# are the cluster's, so pg_dump of a schema has none.
role_blocks = [m.group(0).rstrip("\n")
               for path in sorted(schema_dir.glob("[0-9][0-9][0-9][0-9]_*.sql"))
               for m in re.finditer(r"^DO \$\$\n(?:(?!^\$\$;).)*?CREATE ROLE.*?^\$\$;\n", path.read_text(), re.S | re.M)]
if not role_blocks:
    sys.exit("schema/0007_roles.sql: no DO block creating the roles")
roles = "\n\n".join(role_blocks)

header = re.compile(r"\n--\n-- Name: ([^;]*); Type: ([^;]*); Schema: ([^;]*); Owner: [^\n]*\n--\n")
pieces = header.split(dump)
bookkeeping = {"schema_migrations", "schema_functions", "schema_privileges"}
order = {"TABLE": 0, "SEQUENCE": 0, "SEQUENCE OWNED BY": 0, "DEFAULT": 0, "FUNCTION": 1, "VIEW": 2,
         "CONSTRAINT": 3, "INDEX": 3, "STATISTICS": 3, "FK CONSTRAINT": 4, "TRIGGER": 4, "ACL": 5, "DEFAULT ACL": 5}
parts, seen_files = {rank: [] for rank in range(6)}, set()
for i in range(1, len(pieces), 4):
    name, kind, body = pieces[i], pieces[i + 1], pieces[i + 3]
    body = "\n".join(line for line in body.splitlines() if not line.startswith("\\")).strip()
    words = name.split()
    if kind == "SCHEMA" or any(word in bookkeeping for word in words):
        continue
    if kind == "ACL" and name.startswith("FUNCTION "):
        continue  # schema/privileges/grants.sql
    if kind == "TRIGGER" and words[-1] in own_triggers:
        continue  # created by its function's file
    if kind == "FUNCTION":
        function = name.split("(")[0]
        file = defines.get(function)
        if file is None:
            sys.exit(f"function {function} is in the database but in no schema/functions/ file")
        if file in seen_files:
            continue
        seen_files.add(file)
        body = f"-- function: {file}"
    if kind not in order:
        sys.exit(f"unexpected object in the dump: {kind} {name}")
    parts[order[kind]].append(f"-- {kind.lower()} {name}\n{body}")

titles = ["Tables and sequences", "Functions (each defined in schema/functions/, put here by the Migrator)",
          "Views", "Keys, constraints and indexes", "Foreign keys and triggers", "Privileges (function grants: schema/privileges/grants.sql)"]
out = [f"-- coachspool schema as of {newest}",
       "--",
       "-- The current schema, for fresh installs: what the migrations schema/0001…" + newest[:4] + " leave, written by",
       "-- scripts/schema-snapshot.sh from a database migrated file by file (do not edit by hand: add a",
       "-- migration and run the script). MigrationTests holds both ways to the same catalog.",
       "",
       "CREATE EXTENSION IF NOT EXISTS vector;",
       "",
       "-- Least-privilege roles (schema/0007_roles.sql says what each may do). Roles belong to the",
       "-- cluster: creating them tolerates their existing already.",
       roles,
       ""]
for rank, title in enumerate(titles):
    out.append(f"-- {'=' * 94}\n-- {title}\n-- {'=' * 94}\n")
    out.extend(part + "\n" for part in parts[rank])
sys.stdout.write("\n".join(out).rstrip() + "\n")
