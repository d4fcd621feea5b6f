package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/commands.md from the command table and the binary's replies")

// refEntry is what the command reference adds to the command table:
// the cost, a setup run before the example (not shown), and the example,
// CLI lines run against the binary and shown with their real output.
// A static example (commands that end or hold a session) is shown as
// written here.
type refEntry struct {
	cost    string
	setup   []string
	example []string
	static  string
}

var reference = map[proto.Command]refEntry{
	proto.CmdPing:                   {cost: "O(1)", example: []string{"ping", "ping hello"}},
	proto.CmdExit:                   {cost: "O(1)", static: "vanity> exit   (the CLI leaves; `EXIT` as a frame closes the connection)"},
	proto.CmdTerminate:              {cost: "O(data) to persist", static: "vanity> terminate\n(no reply: the server persists and stops)"},
	proto.CmdPipe:                   {cost: "the commands'", static: "$ vanity cli --raw\nvanity> PIPE(2)SET:STR (1)a (1)b GET (1)a\nOK:PIPE(2)OKOK:STR (1)b"},
	proto.CmdAuth:                   {cost: "a password hash", static: "$ vanity cli --no-auth\nvanity> auth vanity vanity\nOK"},
	proto.CmdAddUser:                {cost: "a password hash", example: []string{"add_user alice s3cret!"}},
	proto.CmdEditUser:               {cost: "O(1)", setup: []string{"add_user alice s3cret!"}, example: []string{"edit_user alice admin"}},
	proto.CmdDelUser:                {cost: "O(1)", setup: []string{"add_user alice s3cret!"}, example: []string{"del_user alice"}},
	proto.CmdChangePassword:         {cost: "a password hash", static: "vanity> change_password n3w-secret\nOK"},
	proto.CmdSwitchDB:               {cost: "O(1)", example: []string{"select 2", "switch_db 16"}},
	proto.CmdPersist:                {cost: "O(data)", static: "vanity> persist\nOK"},
	proto.CmdReset:                  {cost: "O(keys in the database)", setup: []string{"set a 1"}, example: []string{"reset", "db_size"}},
	proto.CmdDel:                    {cost: "O(1)", setup: []string{"set foo bar"}, example: []string{"del foo", "del foo"}},
	proto.CmdType:                   {cost: "O(1)", setup: []string{"set foo bar", "lpush todo milk"}, example: []string{"type foo", "type todo", "type nope"}},
	proto.CmdExists:                 {cost: "O(1)", setup: []string{"set foo bar"}, example: []string{"exists foo", "exists nope"}},
	proto.CmdGet:                    {cost: "O(size of the value)", setup: []string{"set foo bar", "set n 5", "rpush todo milk eggs"}, example: []string{"get foo", "get n", "get todo", "get nope"}},
	proto.CmdSet:                    {cost: "O(size of the value)", example: []string{"set foo bar", "set n 5", `set s "5"`, "set:float f 2", "get f"}},
	proto.CmdIncrInt:                {cost: "O(1)", setup: []string{"set foo bar"}, example: []string{"incr_int n 5", "incrby n -2", "incrby foo 1"}},
	proto.CmdIncrFloat:              {cost: "O(1)", example: []string{"incr_float f 1.5", "incr_float f 0.25"}},
	proto.CmdStrLen:                 {cost: "O(1)", setup: []string{"set foo bar"}, example: []string{"str_len foo", "strlen nope"}},
	proto.CmdManyGet:                {cost: "O(keys)", setup: []string{"set foo bar", "set n 5"}, example: []string{"mget foo n nope"}},
	proto.CmdListLen:                {cost: "O(1)", setup: []string{"rpush todo milk eggs"}, example: []string{"llen todo"}},
	proto.CmdListGet:                {cost: "O(log n)", setup: []string{"rpush todo milk eggs"}, example: []string{"lindex todo 0", "lindex todo -1", "lindex todo 5"}},
	proto.CmdListSet:                {cost: "O(log n)", setup: []string{"rpush todo milk eggs"}, example: []string{"lset todo 0 bread", "lrange todo 0 -1"}},
	proto.CmdListPushLeft:           {cost: "O(values)", example: []string{"lpush todo milk eggs", "lrange todo 0 -1"}},
	proto.CmdListPushRight:          {cost: "O(values)", example: []string{"rpush todo milk eggs", "lrange todo 0 -1"}},
	proto.CmdListPopLeft:            {cost: "O(count)", setup: []string{"rpush todo a b c"}, example: []string{"lpop todo 2", "lpop todo 5"}},
	proto.CmdListPopRight:           {cost: "O(count)", setup: []string{"rpush todo a b c"}, example: []string{"rpop todo 2"}},
	proto.CmdListRange:              {cost: "O(log n + returned)", setup: []string{"rpush l a b c d"}, example: []string{"lrange l 1 2", "lrange l 0 -1"}},
	proto.CmdListTrim:               {cost: "O(removed)", setup: []string{"rpush l a b c d"}, example: []string{"ltrim l 1 2", "lrange l 0 -1"}},
	proto.CmdListRemove:             {cost: "O(n)", setup: []string{"rpush l a b a c a"}, example: []string{"list_remove l a 2", "lrange l 0 -1"}},
	proto.CmdSetAdd:                 {cost: "O(members)", example: []string{"sadd tags red blue", "sadd tags red green"}},
	proto.CmdSetAll:                 {cost: "O(n)", setup: []string{"sadd tags red"}, example: []string{"smembers tags"}},
	proto.CmdSetRandom:              {cost: "O(count)", setup: []string{"sadd tags red"}, example: []string{"set_random tags 2", "set_random tags -3", "set_len tags"}},
	proto.CmdSetScan:                {cost: "O(n) per page, at most 17 pages", setup: []string{"sadd tags red green blue"}, example: []string{"set_scan tags 0 * 10", "set_scan tags 0 g* 10"}},
	proto.CmdSetRemove:              {cost: "O(count)", setup: []string{"sadd tags red"}, example: []string{"spop tags 1", "spop tags 1"}},
	proto.CmdSetDiscard:             {cost: "O(members)", setup: []string{"sadd tags red blue"}, example: []string{"srem tags red pink"}},
	proto.CmdSetLen:                 {cost: "O(1)", setup: []string{"sadd tags red blue"}, example: []string{"scard tags"}},
	proto.CmdSetContains:            {cost: "O(1)", setup: []string{"sadd tags red"}, example: []string{"sismember tags red", "sismember tags pink"}},
	proto.CmdSetMove:                {cost: "O(1)", setup: []string{"sadd a x"}, example: []string{"smove a b x", "smembers b"}},
	proto.CmdSetUnion:               {cost: "O(members of all sets)", setup: []string{"sadd a x", "sadd b x"}, example: []string{"sunion a b"}},
	proto.CmdSetUnionInto:           {cost: "O(members of all sets)", setup: []string{"sadd a x", "sadd b y"}, example: []string{"sunionstore u a b", "scard u"}},
	proto.CmdSetUnionLen:            {cost: "O(members of all sets)", setup: []string{"sadd a x", "sadd b y"}, example: []string{"set_union_len a b"}},
	proto.CmdSetIntersect:           {cost: "O(members of all sets)", setup: []string{"sadd a x y", "sadd b y"}, example: []string{"sinter a b"}},
	proto.CmdSetIntersectInto:       {cost: "O(members of all sets)", setup: []string{"sadd a x y", "sadd b y"}, example: []string{"sinterstore i a b"}},
	proto.CmdSetIntersectLen:        {cost: "O(members of all sets)", setup: []string{"sadd a x y", "sadd b y"}, example: []string{"set_intersect_len a b"}},
	proto.CmdSetDiff:                {cost: "O(members of both)", setup: []string{"sadd a x y", "sadd b y"}, example: []string{"set_diff a b"}},
	proto.CmdSetDiffInto:            {cost: "O(members of both)", setup: []string{"sadd a x y", "sadd b y"}, example: []string{"set_diff_into d a b"}},
	proto.CmdSetDiffMany:            {cost: "O(members of all)", setup: []string{"sadd a x y z", "sadd b y", "sadd c z"}, example: []string{"sdiff a b c", "set_diff_many b a"}},
	proto.CmdSetDiffManyInto:        {cost: "O(members of all)", setup: []string{"sadd a x y z", "sadd b y", "sadd c z"}, example: []string{"sdiffstore d a b c", "smembers d"}},
	proto.CmdSetDiffLen:             {cost: "O(members of both)", setup: []string{"sadd a x y", "sadd b y"}, example: []string{"set_diff_len a b"}},
	proto.CmdHashSet:                {cost: "O(fields)", example: []string{"hash_set user name ada lang go", "hlen user", "hget user lang"}},
	proto.CmdHashAll:                {cost: "O(fields)", setup: []string{"hset user name ada"}, example: []string{"hgetall user"}},
	proto.CmdListPos:                {cost: "O(n)", setup: []string{"rpush todo a b c b"}, example: []string{"list_pos todo b 1 0", "list_pos todo b -1 1", "list_pos todo z 1 1"}},
	proto.CmdHashRandom:             {cost: "O(count)", setup: []string{"hset user name ada"}, example: []string{"hash_random user 2", "hash_random user -2"}},
	proto.CmdHashScan:               {cost: "O(fields) per page, at most 17 pages", setup: []string{"hset user name ada lang go"}, example: []string{"hash_scan user 0 * 10"}},
	proto.CmdHashGet:                {cost: "O(1)", setup: []string{"hset user name ada"}, example: []string{"hget user name", "hget user age"}},
	proto.CmdHashContains:           {cost: "O(1)", setup: []string{"hset user name ada"}, example: []string{"hexists user name"}},
	proto.CmdHashLen:                {cost: "O(1)", setup: []string{"hset user name ada"}, example: []string{"hlen user"}},
	proto.CmdHashKeyLen:             {cost: "O(1)", setup: []string{"hset user name ada"}, example: []string{"hstrlen user name"}},
	proto.CmdHashKeys:               {cost: "O(fields)", setup: []string{"hset user name ada"}, example: []string{"hkeys user"}},
	proto.CmdHashValues:             {cost: "O(fields)", setup: []string{"hset user name ada"}, example: []string{"hvals user"}},
	proto.CmdHashManyGet:            {cost: "O(fields asked)", setup: []string{"hset user name ada"}, example: []string{"hmget user name age"}},
	proto.CmdHashRemove:             {cost: "O(fields asked)", setup: []string{"hset user name ada lang go"}, example: []string{"hdel user lang age"}},
	proto.CmdHashUpdate:             {cost: "O(fields)", setup: []string{"hset user name ada"}, example: []string{"hset user lang go name ada", "hlen user"}},
	proto.CmdSetExpiry:              {cost: "O(1)", setup: []string{"set session x"}, example: []string{"set_expiry session 3600", "set_expiry nope 10"}},
	proto.CmdHashIncrFloat:          {cost: "O(1)", setup: []string{"hset cart total 10"}, example: []string{"hincrbyfloat cart total 2.5", "hash_incr_float cart tax 0.1", "hset cart note paid", "hincrbyfloat cart note 1"}},
	proto.CmdGetExpiryAt:            {cost: "O(1)", setup: []string{"set session x", "set_expiry_at session 4102444800000"}, example: []string{"get_expiry_at session", "get_expiry_at nope"}},
	proto.CmdSetExpiryAt:            {cost: "O(1)", setup: []string{"set session x", "set draft y"}, example: []string{"set_expiry_at session 4102444800000", "pexpireat draft 1000", "exists draft"}},
	proto.CmdSetWith:                {cost: "O(size of the value)", setup: []string{"set_ttl session s1 3600000"}, example: []string{"set_with session s2 PRESENT KEEP 0", "set_with lock me ABSENT AFTER 30000", "set_with lock you ABSENT AFTER 30000", "set_with report done ALWAYS AT 4102444800000"}},
	proto.CmdGetSetWith:             {cost: "O(size of the value)", setup: []string{"set token t1"}, example: []string{"get_set_with token t2 PRESENT AFTER 60000", "get_set_with fresh v ABSENT CLEAR 0", "get fresh"}},
	proto.CmdSetExpiryIf:            {cost: "O(1)", setup: []string{"set hits 1"}, example: []string{"set_expiry_if hits 60 NONE", "set_expiry_if hits 600 NONE", "set_expiry_if hits 30 SOME_EARLIER", "set_expiry_if nope 10 EARLIER"}},
	proto.CmdSetExpiryAtIf:          {cost: "O(1)", setup: []string{"set_ttl session x 3600000"}, example: []string{"set_expiry_at_if session 4102444800000 LATER", "set_expiry_at_if session 4102444800000 SOME_EARLIER"}},
	proto.CmdGetExpiry:              {cost: "O(1)", setup: []string{"set session x"}, example: []string{"get_expiry session"}},
	proto.CmdClearExpiry:            {cost: "O(1)", setup: []string{"set_ttl session x 60000"}, example: []string{"clear_expiry session", "get_expiry session"}},
	proto.CmdTransactBegin:          {cost: "O(1)", example: []string{"multi", "set a 1", "incrby a 1", "exec"}},
	proto.CmdTransactCommit:         {cost: "the commands'", example: []string{"multi", "set a 1", "get a", "exec"}},
	proto.CmdTransactDiscard:        {cost: "O(queued)", example: []string{"multi", "set a 1", "discard", "get a"}},
	proto.CmdTransactWatch:          {cost: "O(keys), a read of each", setup: []string{"set balance 10"}, example: []string{"watch balance", "get balance", "multi", "set balance 8", "exec"}},
	proto.CmdTransactUnwatch:        {cost: "O(1)", example: []string{"watch balance", "unwatch"}},
	proto.CmdKeyVersion:             {cost: "O(1)", static: "vanity> set balance 10\nOK\nvanity> key_version balance\n(integer) 3799959916735842594"},
	proto.CmdKeyVersionIs:           {cost: "O(1)", static: "vanity> key_version_is balance 3799959916735842594\n(true)\nvanity> set balance 8\nOK\nvanity> key_version_is balance 3799959916735842594\n(false)"},
	proto.CmdKeyMemory:              {cost: "O(1); O(n) for a list, set or hash", setup: []string{"set greeting hello", "rpush todo milk eggs bread"}, example: []string{"key_memory greeting", "key_memory todo", "key_memory nope"}},
	proto.CmdRandomKey:              {cost: "a count of every partition, then a page of keys", setup: []string{"select 5", "set only 1"}, example: []string{"random_key", "select 6", "randomkey"}},
	proto.CmdPublish:                {cost: "O(subscribers)", example: []string{"publish news hello"}},
	proto.CmdSubscribe:              {cost: "O(1)", static: "vanity> subscribe news\n(integer) 1\nmessage from \"news\": \"hello\""},
	proto.CmdSubscribed:             {cost: "O(channels)", static: "vanity> subscribe news\n(integer) 1\nvanity> subscribed\n1) \"news\""},
	proto.CmdSubscribePattern:       {cost: "O(1); each message then costs O(patterns followed on the router)", static: "vanity> psubscribe news.*\n(integer) 1\nmessage from \"news.sport\": \"hello\""},
	proto.CmdUnsubscribePattern:     {cost: "O(1)", static: "vanity> psubscribe news.*\n(integer) 1\nvanity> punsubscribe news.*\n(integer) 0"},
	proto.CmdSubscribedPatterns:     {cost: "O(patterns)", static: "vanity> psubscribe news.*\n(integer) 1\nvanity> subscribed_patterns\n1) \"news.*\""},
	proto.CmdUnsubscribe:            {cost: "O(1)", static: "vanity> unsubscribe news\n(integer) 0"},
	proto.CmdUnsubscribeAll:         {cost: "O(channels)", static: "vanity> unsubscribe_all\nOK"},
	proto.CmdConsistency:            {cost: "O(1)", example: []string{"consistency one all", "get_consistency"}},
	proto.CmdGetConsistency:         {cost: "O(1)", example: []string{"get_consistency"}},
	proto.CmdClusterInfo:            {cost: "O(members)", example: []string{"cluster_info"}},
	proto.CmdSetTTL:                 {cost: "O(size of the value)", example: []string{"set_ttl session abc 60000", "set_ttl:int n 5 1000"}},
	proto.CmdScan:                   {cost: "O(count), each call", setup: []string{"set user:1 a", "set user:2 b", "set order c"}, example: []string{"scan 0 user:* 100"}},
	proto.CmdKeys:                   {cost: "O(keys in the database)", setup: []string{"set user:1 a", "set order c"}, example: []string{"keys user:*"}},
	proto.CmdDBSize:                 {cost: "O(keys in the database)", setup: []string{"set user:1 a", "set order c"}, example: []string{"db_size"}},
	proto.CmdInfo:                   {cost: "O(1) + DB_SIZE of each database, and a walk of its keys with a deadline", static: "vanity> info\n 1) \"server.version\" => \"vanity devel (commit …)\"\n …\n15) \"keyspace.db0\" => \"keys=2,expires=0,avg_ttl=0\"\n16) \"commandstats.GET\" => \"calls=2,usec_per_call=31.2,p99_usec<=50\""},
	proto.CmdSetIf:                  {cost: "O(size of the values)", setup: []string{"set balance 10"}, example: []string{"set_if balance 10 15", "set_if balance 10 20", "get balance"}},
	proto.CmdSetIfAbsent:            {cost: "O(size of the value)", example: []string{"set_if_absent lock worker-1", "setnx lock worker-2", "get lock"}},
	proto.CmdDelIf:                  {cost: "O(size of the value)", setup: []string{"set lock worker-1"}, example: []string{"del_if lock worker-2", "del_if lock worker-1", "exists lock"}},
	proto.CmdSetTTLIfAbsent:         {cost: "O(size of the value)", example: []string{"set_ttl_if_absent lock worker-1 30000", "set_ttl_if_absent lock worker-2 30000", "get lock"}},
	proto.CmdGetSet:                 {cost: "O(size of the values)", setup: []string{"set counter 41"}, example: []string{"get_set counter 0", "getset counter 1", "get_set nope x"}},
	proto.CmdGetDel:                 {cost: "O(size of the value)", setup: []string{"set token abc"}, example: []string{"get_del token", "getdel token"}},
	proto.CmdLockAcquire:            {cost: "O(1)", static: "vanity> lock_acquire jobs worker-1 30000\n(integer) 117720955017035776\nvanity> lock_acquire jobs worker-2 30000\n(nil)"},
	proto.CmdLockRefresh:            {cost: "O(1)", static: "vanity> lock_refresh jobs 117720955017035776 30000\n(true)\nvanity> lock_refresh jobs 42 30000\n(false)"},
	proto.CmdLockRelease:            {cost: "O(1)", static: "vanity> lock_release jobs 117720955017035776\n(true)\nvanity> lock_acquire jobs worker-2 30000\n(integer) 117720963301244928"},
	proto.CmdLockInfo:               {cost: "O(1)", static: "vanity> lock_info jobs\n1) \"worker-1\"\n2) (integer) 117720955017035776\n3) (integer) 29999"},
	proto.CmdStrAppend:              {cost: "O(size of the string)", example: []string{"append log hello", "append log \" world\"", "get log"}},
	proto.CmdCopy:                   {cost: "O(size of the value)", setup: []string{"rpush todo milk eggs", "set done x"}, example: []string{"copy todo done", "lrange done 0 -1", "copy nope done"}},
	proto.CmdCopyIfAbsent:           {cost: "O(size of the value)", setup: []string{"rpush todo milk eggs"}, example: []string{"copy_if_absent todo backup", "copy_if_absent todo backup"}},
	proto.CmdRename:                 {cost: "O(size of the value)", setup: []string{"rpush todo milk eggs"}, example: []string{"rename todo done", "lrange done 0 -1", "exists todo", "rename todo done"}},
	proto.CmdRenameIfAbsent:         {cost: "O(size of the value)", setup: []string{"set draft v1", "set final v0"}, example: []string{"renamenx draft final", "rename_if_absent draft published", "get published"}},
	proto.CmdSetTTLIfPresent:        {cost: "O(size of the value)", example: []string{"set_ttl_if_present session s2 30000", "set session s1", "set_ttl_if_present session s2 30000", "get session"}},
	proto.CmdSetKeepTTL:             {cost: "O(size of the value)", setup: []string{"set_ttl session s1 3600000"}, example: []string{"set_keep_ttl session s2", "get session", "set_keep_ttl:int fresh 1"}},
	proto.CmdSetIfPresent:           {cost: "O(size of the value)", example: []string{"set_if_present session s2", "set session s1", "set_if_present session s2", "get session"}},
	proto.CmdHashSetIfAbsent:        {cost: "O(1)", example: []string{"hsetnx user name ada", "hsetnx user name bob", "hget user name"}},
	proto.CmdFenced:                 {cost: "the write's, plus O(1)", example: []string{"fenced jobs 120 set report done", "fenced jobs 117 set report stale", "fenced jobs 120 lpush log ok", "get report"}},
	proto.CmdOnce:                   {cost: "the write's, plus O(size of its reply)", setup: []string{"rpush jobs build7 test7"}, example: []string{"once req-41 lpop jobs 1", "once req-41 lpop jobs 1", "lrange jobs 0 -1"}},
	proto.CmdRetry:                  {cost: "O(1)", setup: []string{"rpush tasks build8 test8", "once req-51 lpop tasks 1"}, example: []string{"retry req-51 lpop tasks 1", "retry req-52 lpop tasks 1", "lrange tasks 0 -1"}},
	proto.CmdStrRange:               {cost: "O(length of the range)", setup: []string{"set greeting \"Hello World\""}, example: []string{"getrange greeting 0 4", "str_range greeting -5 -1", "getrange greeting 20 30"}},
	proto.CmdStrSetRange:            {cost: "O(size of the string)", setup: []string{"set greeting \"Hello World\""}, example: []string{"setrange greeting 6 Redis", "get greeting", "str_set_range pad 3 x"}},
	proto.CmdHashIncr:               {cost: "O(1)", setup: []string{"hset page views 10"}, example: []string{"hincrby page views 5", "hash_incr page likes 1", "hset page title home", "hincrby page title 1"}},
	proto.CmdListPopLeftWait:        {cost: "O(count) per try", setup: []string{"rpush jobs a b"}, example: []string{"list_pop_left_wait jobs 1 1000", "list_pop_left_wait jobs 5 1000"}},
	proto.CmdIncrNumber:             {cost: "O(1)", setup: []string{"set price 5"}, example: []string{"incr_number price 1.5", "type price", "incr_float price 0.25", "incr_number price inf"}},
	proto.CmdListMove:               {cost: "O(1)", setup: []string{"rpush jobs build7 test7 ship7"}, example: []string{"list_move jobs doing RIGHT LEFT", "lmove jobs doing left left", "lrange doing 0 -1", "lmove jobs jobs left right", "lrange jobs 0 -1", "lmove nothing doing left left"}},
	proto.CmdListMoveWait:           {cost: "O(1) per try", setup: []string{"rpush jobs build8"}, example: []string{"list_move_wait jobs doing RIGHT LEFT 1000", "list_move_wait jobs doing right left 100"}},
	proto.CmdListPopLeftWaitAny:     {cost: "O(keys + count) per try", setup: []string{"rpush normal n1 n2", "rpush urgent u1"}, example: []string{"list_pop_left_wait_any urgent normal 1 1000", "list_pop_left_wait_any urgent normal 5 1000"}},
	proto.CmdListPopRightWaitAny:    {cost: "O(keys + count) per try", setup: []string{"rpush normal n1 n2"}, example: []string{"list_pop_right_wait_any urgent normal 2 1000"}},
	proto.CmdListPushLeftIfPresent:  {cost: "O(values)", setup: []string{"rpush log started"}, example: []string{"lpushx log boot", "list_push_left_if_present nolog x", "exists nolog"}},
	proto.CmdListPushRightIfPresent: {cost: "O(values)", setup: []string{"rpush log started"}, example: []string{"rpushx log step1 step2", "lrange log 0 -1"}},
	proto.CmdIncrIntText:            {cost: "O(1)", setup: []string{"set:str visits 41", "set:float ratio 2.5"}, example: []string{"incr_int_text visits 1", "type visits", "incr_int_text hits 5", "incr_int_text ratio 1"}},
	proto.CmdStrGetBit:              {cost: "O(1)", setup: []string{"str_set_bit flags 7 1"}, example: []string{"str_get_bit flags 7", "str_get_bit flags 100"}},
	proto.CmdStrSetBit:              {cost: "O(n): the string is written whole", example: []string{"str_set_bit flags 7 1", "str_set_bit flags 7 0", "get flags"}},
	proto.CmdStrBitCount:            {cost: "O(n)", setup: []string{"set:str word foobar"}, example: []string{"str_bit_count word 0 -1 BYTE", "str_bit_count word 1 1 BYTE", "str_bit_count word 5 30 BIT"}},
	proto.CmdStrBitPos:              {cost: "O(n)", setup: []string{"str_set_bit flags 12 1"}, example: []string{"str_bit_pos flags 1 0 -1 BYTE", "str_bit_pos flags 1 0 7 BIT", "str_bit_pos flags 0 0 -1 BYTE"}},
	proto.CmdStrBitPosFrom:          {cost: "O(n)", setup: []string{"str_set_bit flags 12 1"}, example: []string{"str_bit_pos_from flags 1 1", "str_bit_pos_from flags 0 0", "str_bit_pos_from none 0 0"}},
	proto.CmdListPosWithin:          {cost: "O(maxlen)", setup: []string{"rpush todo a b c b"}, example: []string{"list_pos_within todo b 1 0 2", "list_pos_within todo b -1 0 2"}},
	proto.CmdSetIntersectLenUpTo:    {cost: "O(n·k)", setup: []string{"sadd a x y z", "sadd b y z w"}, example: []string{"set_intersect_len_upto a b 1", "set_intersect_len_upto a b 0"}},
	proto.CmdStrBitOpInto:           {cost: "O(n) in the longest string", setup: []string{"set:str a abc", "set:str b ABD"}, example: []string{"str_bit_op_into c AND a b", "get c", "str_bit_op_into c NOT a", "str_bit_op_into c OR none"}},
	proto.CmdHllAdd:                 {cost: "O(1) an element; the sketch's string (up to 12 KiB) is written whole", example: []string{"hll_add visitors alice bob carol", "hll_add visitors alice", "hll_count visitors"}},
	proto.CmdHllCount:               {cost: "O(n) in the keys (16,384 registers each)", setup: []string{"hll_add mon alice bob", "hll_add tue bob dave"}, example: []string{"hll_count mon tue", "hll_count nobody"}},
	proto.CmdHllMergeInto:           {cost: "O(n) in the keys", setup: []string{"hll_add mon alice bob", "hll_add tue bob dave"}, example: []string{"hll_merge_into week mon tue", "hll_count week"}},
	proto.CmdListInsert:             {cost: "O(n)", setup: []string{"rpush steps a c"}, example: []string{"list_insert steps RIGHT a b", "list_insert steps LEFT z x", "list_insert nosteps LEFT a x", "lrange steps 0 -1"}},
	proto.CmdListPopRightWait:       {cost: "O(count) per try", static: "vanity> list_pop_right_wait jobs 1 1000\n(empty list)   (after a second: nothing came)"},
}

// clusterNote is what a command's class guarantees in a cluster
// (docs/guarantees.md has the detail).
func clusterNote(c proto.Command) string {
	switch {
	case c == proto.CmdListPopLeftWait || c == proto.CmdListPopRightWait:
		return "each try is a LIST_POP at the session's levels, with its guarantees; the router waits between tries"
	case c == proto.CmdListPopLeftWaitAny || c == proto.CmdListPopRightWaitAny:
		return "each try is a LIST_POP of each key in turn at the session's levels, with its guarantees, the keys in any partitions; the router waits between tries"
	case c == proto.CmdFenced:
		return "linearizable: runs on the serial path, whatever the write (docs/serial.md; PROTOCOL.md §12.11)"
	case c == proto.CmdRename || c == proto.CmdRenameIfAbsent || c == proto.CmdCopy || c == proto.CmdCopyIfAbsent:
		return "both keys must be in one partition (co-locate them with {tags}); then as a write of each at QUORUM, atomic on the coordinator"
	case c == proto.CmdStrBitOpInto || c == proto.CmdHllMergeInto:
		return "every key must be in one partition (co-locate them with {tags}); then a write of the destination at QUORUM, atomic on the coordinator"
	case c == proto.CmdHllCount:
		return "every key must be in one partition (co-locate them with {tags}); then a read at the session's level"
	case c == proto.CmdSetWith:
		return "with ABSENT, PRESENT or KEEP, linearizable: runs on the serial path (it reads the key; docs/serial.md, PROTOCOL.md §12.26); ALWAYS with CLEAR, AFTER or AT, a write at the session's levels, as SET"
	case c == proto.CmdIncrIntText:
		return "on an INT or an absent key, INCR_INT's exact increment at the session's levels; turning a string or a FLOAT into an INT, linearizable on the serial path (the key's coordinator tells which)"
	case c == proto.CmdIncrNumber:
		return "on a FLOAT or an absent key, INCR_FLOAT's exact increment at the session's levels; turning an INT or a string into a FLOAT, linearizable on the serial path (the key's coordinator tells which)"
	case c == proto.CmdListMoveWait:
		return "each try is a LIST_MOVE at the session's levels, with its guarantees (both keys in one partition); the router waits between tries"
	case c == proto.CmdListMove:
		return "both keys must be in one partition (co-locate them with {tags}); then a pop and a push at QUORUM, atomic on the coordinator (a failover can move an element twice, never lose it: guarantees)"
	case c == proto.CmdOnce || c == proto.CmdRetry:
		return "linearizable: runs on the serial path, whatever the write; the key's record of its recent commands answers the id (docs/serial.md; PROTOCOL.md §12.12)"
	case c.Conditional():
		return "linearizable: runs on the serial path, rounds of consensus among the key's replicas (docs/serial.md; PROTOCOL.md §12.6–12.8, §12.10, §12.25, §12.26, §12.28, §12.30, §12.31, §12.33)"
	case c == proto.CmdTransactWatch:
		return "reads each key's version at the session's read level; the commit checks them on the transaction's coordinator, so the watched keys and the transaction's share a partition (co-locate them with {tags}); a failover can let two commits of one version pass (guarantees)"
	case c == proto.CmdKeyVersionIs:
		return "a QUORUM read; in a transaction, checked on its coordinator before anything runs (the watched keys and the transaction's share a partition)"
	case c == proto.CmdScan || c == proto.CmdKeys:
		return "each partition's keys from a majority of complete copies (QUORUM): every key acknowledged before the scan is returned"
	case c == proto.CmdDBSize:
		return "each partition counts as its largest complete copy"
	case c == proto.CmdRandomKey:
		return "counts the keys as DB_SIZE does, then lists a page from a partition at random as SCAN does"
	case c.Class() == proto.ClassRead:
		return "a QUORUM read sees every write acknowledged before it began"
	case c.Class() == proto.ClassWrite:
		return "acknowledged once a majority of copies stored it; concurrent writers merge (see guarantees)"
	case c.Class() == proto.ClassDatabase:
		return "reaches every node; refused while one is down"
	}
	return "runs on the router the client is connected to"
}

const docSep = "---8<---"

// runExample runs setup and lines in one CLI session of the binary (a
// fresh database each time) and returns each line's output.
func runExample(t *testing.T, s *server, e refEntry) []string {
	t.Helper()
	var in []string
	for _, l := range append([]string{"reset"}, e.setup...) {
		in = append(in, l, "ping "+docSep)
	}
	for _, l := range e.example {
		in = append(in, l, "ping "+docSep)
	}
	host, port, _ := net.SplitHostPort(s.addr)
	cmd := exec.Command(vanityBin, "cli", "-h", host, "-p", port)
	cmd.Stdin = strings.NewReader(strings.Join(in, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", e.example, err, out)
	}
	parts := strings.Split(string(out), "\""+docSep+"\"\n")
	skip := 1 + len(e.setup)
	if len(parts) != skip+len(e.example)+1 {
		t.Fatalf("%v: %d outputs:\n%s", e.example, len(parts)-1, out)
	}
	return parts[skip : skip+len(e.example)]
}

// commandReference renders docs/commands.md.
func commandReference(t *testing.T) string {
	s := memoryServer(t)
	var b strings.Builder
	b.WriteString("# Command reference\n\n")
	b.WriteString("Every command, as you type it in `vanity cli` (words; the Redis name works where the arguments\n")
	b.WriteString("are the same) and as a request frame (PROTOCOL.md has the byte-level contract). The examples ran\n")
	b.WriteString("against the server when this page was generated (`go test ./cmd/vanity -run TestCommandReference\n")
	b.WriteString("-update-docs`); a test fails when the page and the server disagree. Cluster guarantees are\n")
	b.WriteString("summed up per command; [guarantees.md](guarantees.md) has the detail. Coming from Redis? See\n")
	b.WriteString("[from-redis.md](from-redis.md).\n")
	for _, g := range proto.Groups() {
		fmt.Fprintf(&b, "\n## %s\n", strings.ToUpper(g.String()[:1])+g.String()[1:])
		for _, c := range proto.Commands() {
			if c.Group() != g {
				continue
			}
			e, ok := reference[c]
			if !ok {
				t.Errorf("%s has no entry in the reference table", c)
				continue
			}
			name := strings.ToLower(c.String())
			fmt.Fprintf(&b, "\n### %s\n\n%s.\n\n", name, strings.ToUpper(c.Summary()[:1])+c.Summary()[1:])
			fmt.Fprintf(&b, "- **Syntax:** `%s`", strings.TrimSpace(name+" "+c.Params()))
			if c == proto.CmdFenced {
				b.WriteString(" (frame: `FENCED` with str, int, then the write's own request)")
			} else if c == proto.CmdOnce || c == proto.CmdRetry {
				fmt.Fprintf(&b, " (frame: `%s` with str, then the write's own request)", c)
			} else if kinds := c.ArgKinds(); len(kinds) > 0 && c != proto.CmdPipe {
				fmt.Fprintf(&b, " (frame: `%s` with %s)", c.String(), strings.Join(kinds, ", "))
			}
			b.WriteString("\n")
			if a := c.Alias(); a != "" && a != c.String() {
				fmt.Fprintf(&b, "- **Redis name:** `%s`\n", strings.ToLower(a))
			}
			fmt.Fprintf(&b, "- **Cost:** %s\n", e.cost)
			fmt.Fprintf(&b, "- **In a cluster:** %s\n", clusterNote(c))
			b.WriteString("\n```\n")
			if e.static != "" {
				b.WriteString(e.static + "\n")
			} else {
				outs := runExample(t, s, e)
				for i, l := range e.example {
					fmt.Fprintf(&b, "vanity> %s\n%s", l, outs[i])
				}
			}
			b.WriteString("```\n")
		}
	}
	return b.String()
}

// TestCommandReference keeps docs/commands.md equal to what the command
// table and the binary say.
func TestCommandReference(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "commands.md")
	got := commandReference(t)
	if *updateDocs {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		w, g := strings.Split(string(want), "\n"), strings.Split(got, "\n")
		for i := 0; i < min(len(w), len(g)); i++ {
			if w[i] != g[i] {
				t.Errorf("line %d: the page has %q, the server gave %q", i+1, w[i], g[i])
				break
			}
		}
		t.Fatalf("%s differs from the server's replies; run: go test ./cmd/vanity -run TestCommandReference -update-docs", path)
	}
}
