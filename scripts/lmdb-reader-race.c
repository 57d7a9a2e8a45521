/* LMDB 0.9's reader race, measured without TicketLedger: WRITERS processes
 * commit one record each in turn (durable) while this process reads the last
 * key twice, in two read transactions, and counts the pairs where the second
 * saw less than the first (a snapshot going back).
 *
 * A reader that loads the lock file's last transaction id, is delayed while
 * two commits land, then reads that id's meta page, meets the page the second
 * commit is writing before LMDB publishes it; the next read transaction sees
 * the published, older state. With RETRY=1 each read transaction is begun
 * again while the newest meta page is two or more transactions past it (what
 * LMDBEnvironment.begin does). Busy loops on the other cores make the delays.
 *
 *   make lmdb-reader-race   (60 s without, then 60 s with the retry)
 *   cc -O2 -o race scripts/lmdb-reader-race.c -llmdb && ./race DIR WRITERS SECONDS
 */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long retries = 0;

static void check(int rc, const char *what) {
    if (rc) { fprintf(stderr, "%s: %s\n", what, mdb_strerror(rc)); exit(1); }
}

static MDB_env *open_env(const char *path, unsigned flags) {
    MDB_env *env;
    check(mdb_env_create(&env), "mdb_env_create");
    check(mdb_env_set_mapsize(env, 256 << 20), "mdb_env_set_mapsize");
    check(mdb_env_set_maxdbs(env, 4), "mdb_env_set_maxdbs");
    check(mdb_env_open(env, path, MDB_NOTLS | flags, 0644), "mdb_env_open");
    return env;
}

static uint64_t last_key(MDB_env *env, MDB_dbi dbi, int retry) {
    MDB_txn *txn;
    for (;;) {
        check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin");
        if (!retry) break;
        MDB_envinfo info;
        mdb_env_info(env, &info);
        if (info.me_last_txnid < mdb_txn_id(txn) + 2) break;
        retries++;
        mdb_txn_abort(txn);
    }
    MDB_cursor *cursor;
    check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open");
    MDB_val key, value;
    uint64_t last = 0;
    if (mdb_cursor_get(cursor, &key, &value, MDB_LAST) == 0) memcpy(&last, key.mv_data, 8);
    mdb_cursor_close(cursor);
    mdb_txn_abort(txn);
    return __builtin_bswap64(last);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s DIR WRITERS SECONDS\n", argv[0]); return 64; }
    const char *path = argv[1];
    int writers = atoi(argv[2]), seconds = atoi(argv[3]);
    int retry = getenv("RETRY") && strcmp(getenv("RETRY"), "1") == 0;
    MDB_env *env = open_env(path, 0);
    MDB_txn *txn;
    MDB_dbi dbi;
    check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
    check(mdb_dbi_open(txn, "events", MDB_CREATE, &dbi), "mdb_dbi_open");
    check(mdb_txn_commit(txn), "mdb_txn_commit");
    mdb_env_close(env);
    time_t end = time(NULL) + seconds;
    for (int w = 0; w < writers; w++) {
        if (fork() != 0) continue;
        MDB_env *writer = open_env(path, 0);
        check(mdb_txn_begin(writer, NULL, 0, &txn), "mdb_txn_begin");
        check(mdb_dbi_open(txn, "events", 0, &dbi), "mdb_dbi_open");
        check(mdb_txn_commit(txn), "mdb_txn_commit");
        char record[200] = {0};
        while (time(NULL) < end) {
            check(mdb_txn_begin(writer, NULL, 0, &txn), "mdb_txn_begin");
            MDB_cursor *cursor;
            check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open");
            MDB_val key, value;
            uint64_t next = 0;
            if (mdb_cursor_get(cursor, &key, &value, MDB_LAST) == 0) { memcpy(&next, key.mv_data, 8); next = __builtin_bswap64(next); }
            mdb_cursor_close(cursor);
            next = __builtin_bswap64(next + 1);
            key.mv_data = &next; key.mv_size = 8; value.mv_data = record; value.mv_size = sizeof record;
            check(mdb_put(txn, dbi, &key, &value, MDB_APPEND), "mdb_put");
            check(mdb_txn_commit(txn), "mdb_txn_commit");
        }
        mdb_env_close(writer);
        _exit(0);
    }
    MDB_env *reader = open_env(path, MDB_RDONLY);
    check(mdb_txn_begin(reader, NULL, MDB_RDONLY, &txn), "mdb_txn_begin");
    check(mdb_dbi_open(txn, "events", 0, &dbi), "mdb_dbi_open");
    check(mdb_txn_commit(txn), "mdb_txn_commit");  /* keeps the handle (an abort would close it) */
    long pairs = 0, backwards = 0;
    while (time(NULL) < end) {
        uint64_t first = last_key(reader, dbi, retry), second = last_key(reader, dbi, retry);
        pairs++;
        if (second < first) backwards++;
    }
    while (wait(NULL) > 0) {}
    printf("retry=%d pairs=%ld backwards=%ld retries=%ld records=%llu\n", retry, pairs, backwards, retries,
           (unsigned long long)last_key(reader, dbi, 0));
    mdb_env_close(reader);
    return backwards > 0 && retry ? 1 : 0;
}
