// Package testenv starts throw-away MariaDB servers for tests that must talk
// to a real MySQL-compatible database.
//
// Design:
//
//   - StartMariaDB bootstraps a private data directory with mariadb-install-db
//     and runs mariadbd on 127.0.0.1 with a free port and a private unix
//     socket. Nothing is shared with a system-wide server: no option files are
//     read (--no-defaults), so the host's /etc/mysql settings cannot leak in.
//   - The server is configured like the acceptance corpus expects a MySQL
//     target: utf8mb4/utf8mb4_bin server defaults and case-sensitive table
//     names (lower_case_table_names=0).
//   - root can log in over TCP without a password: the bootstrap uses
//     --auth-root-authentication-method=normal, which creates password-less
//     root accounts for localhost, 127.0.0.1 and ::1. Grant tables stay
//     enabled, so privilege checks (DEFINER views, CREATE USER) behave like a
//     real target.
//   - MariaDB(t) gives every test in one test binary the same server, started
//     lazily on first use. A package that uses it should call Main from its
//     TestMain so the server is stopped and its directory removed when the
//     binary exits; as a backstop the child is started with a parent-death
//     signal so a crashed test binary does not leave servers behind.
//   - Missing binaries are an error (with the apt-get hint), never a skip:
//     a test that silently skips cannot fail. Callers that want to skip in
//     -short mode must decide so themselves.
package testenv
