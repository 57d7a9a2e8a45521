/*
 * Raw LMDB, no TicketLedger: what each candidate place for the proof index's
 * per-record stream history costs LMDB itself, in durable commits. Each layout
 * writes the log's three puts (record, stream, id) per record; they differ in
 * where the 40-byte history entry goes (docs/BENCHMARKS.md, "Appends with the
 * proof index against the version before it").
 *
 *   cc -O2 Benchmarks/raw-layouts.c -llmdb -o /tmp/raw-layouts
 *   /tmp/raw-layouts RECORDS PER-COMMIT ROUNDS STREAMS [FOLDER]
 *   /tmp/raw-layouts 500 1 30 100      # durable single commits, 100 streams
 *   /tmp/raw-layouts 3200 10 20 32     # commits of 10, 32 long streams
 *
 * Prints each layout's total time over the rounds as a ratio to the plain one
 * (the layouts run in turns, each on a fresh environment).
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum layout { PLAIN, HISTORIES_DB, WIDE_STREAM_VALUES, HEAD_KEY, WIDE_ID_VALUES, LAYOUTS };
static const char *names[LAYOUTS] = {
    "plain (3 puts)", "+ histories database", "40-byte stream values", "+ head key per stream", "40-byte id values"};

#define CHECK(call)                                                              \
    do {                                                                         \
        int rc_ = (call);                                                        \
        if (rc_) {                                                               \
            fprintf(stderr, "%s: %s\n", #call, mdb_strerror(rc_));               \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double run(const char *folder, enum layout layout, int records, int perCommit, int streams) {
    char path[512], command[1100];
    snprintf(path, sizeof path, "%s/layout-%d", folder, layout);
    snprintf(command, sizeof command, "rm -rf '%s' && mkdir -p '%s'", path, path);
    if (system(command) != 0) exit(1);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi events, streamsDB, ids, histories;
    CHECK(mdb_env_create(&env));
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, 1UL << 30);
    CHECK(mdb_env_open(env, path, MDB_NOTLS, 0644));
    CHECK(mdb_txn_begin(env, NULL, 0, &txn));
    CHECK(mdb_dbi_open(txn, "events", MDB_CREATE, &events));
    CHECK(mdb_dbi_open(txn, "streams", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &streamsDB));
    CHECK(mdb_dbi_open(txn, "ids", MDB_CREATE, &ids));
    CHECK(mdb_dbi_open(txn, "histories", MDB_CREATE, &histories));
    CHECK(mdb_txn_commit(txn));
    unsigned char record[356], entry[40], id[16];
    memset(record, 0x42, sizeof record);
    memset(entry, 0x17, sizeof entry);
    double start = now();
    for (int i = 0; i < records;) {
        CHECK(mdb_txn_begin(env, NULL, 0, &txn));
        for (int end = i + perCommit < records ? i + perCommit : records; i < end; i++) {
            unsigned long long position = __builtin_bswap64((unsigned long long)i + 1);
            memcpy(entry, &position, 8);
            MDB_val key = {8, &position}, value = {sizeof record, record};
            CHECK(mdb_put(txn, events, &key, &value, MDB_APPEND));
            char stream[40];
            int length = snprintf(stream, sizeof stream - 1, "ticket-%d", i % streams);
            MDB_val streamKey = {(size_t)length, stream};
            MDB_val streamValue = layout == WIDE_STREAM_VALUES ? (MDB_val){40, entry} : (MDB_val){8, &position};
            CHECK(mdb_put(txn, streamsDB, &streamKey, &streamValue, 0));
            for (int j = 0; j < 16; j++) id[j] = (unsigned char)rand();
            MDB_val idKey = {16, id};
            MDB_val idValue = layout == WIDE_ID_VALUES ? (MDB_val){40, entry} : (MDB_val){8, &position};
            CHECK(mdb_put(txn, ids, &idKey, &idValue, MDB_NOOVERWRITE));
            if (layout == HISTORIES_DB) {
                MDB_val history = {40, entry};
                CHECK(mdb_put(txn, histories, &key, &history, MDB_APPEND));
            } else if (layout == HEAD_KEY) {
                /* stream id ‖ 0xFF: never a valid UTF-8 stream id, sorted beside its stream. */
                stream[length] = (char)0xFF;
                MDB_val headKey = {(size_t)length + 1, stream}, head = {40, entry};
                int rc = mdb_del(txn, streamsDB, &headKey, NULL);
                if (rc && rc != MDB_NOTFOUND) CHECK(rc);
                CHECK(mdb_put(txn, streamsDB, &headKey, &head, 0));
            }
        }
        CHECK(mdb_txn_commit(txn));
    }
    double elapsed = now() - start;
    mdb_env_close(env);
    return elapsed;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s RECORDS PER-COMMIT ROUNDS STREAMS [FOLDER]\n", argv[0]);
        return 64;
    }
    int records = atoi(argv[1]), perCommit = atoi(argv[2]), rounds = atoi(argv[3]), streams = atoi(argv[4]);
    const char *folder = argc > 5 ? argv[5] : "/tmp/raw-layouts-data";
    if (records < 1 || perCommit < 1 || rounds < 1 || streams < 1) {
        fprintf(stderr, "every count is at least 1\n");
        return 64;
    }
    double total[LAYOUTS] = {0};
    for (int round = 0; round < rounds; round++)
        for (int layout = 0; layout < LAYOUTS; layout++) total[layout] += run(folder, layout, records, perCommit, streams);
    printf("%d records, %d per durable commit, %d streams, %d rounds\n", records, perCommit, streams, rounds);
    for (int layout = 0; layout < LAYOUTS; layout++)
        printf("  %-24s %8.3f s  %.2fx\n", names[layout], total[layout], total[layout] / total[PLAIN]);
    return 0;
}
