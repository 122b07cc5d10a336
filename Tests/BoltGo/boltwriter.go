// boltwriter writes a collector registry with the real boltdb/bolt v1.3.1 (Debian's
// golang-github-boltdb-bolt-dev), the way libgse's storage package does: bucket "kv", values
// gob-encoded strings, file.State JSON under "state:<id>". It prints what the file holds, then
// "ready", then keeps committing small transactions (localtime, a gseindex) while holding bolt's
// exclusive flock, until its stdin closes or 60 seconds pass. The differential test in
// Tests/HostProbeTests/BoltGoDifferentialTests.swift reads the file with bkdiag's reader meanwhile.
//
//	boltwriter PATH STATES
package main

import (
	"bytes"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/boltdb/bolt"
)

type stateOS struct {
	Inode  uint64 `json:"inode,"`
	Device uint64 `json:"device,"`
}

type state struct {
	Source      string            `json:"source"`
	Offset      int64             `json:"offset"`
	Timestamp   time.Time         `json:"timestamp"`
	TTL         time.Duration     `json:"ttl"`
	Type        string            `json:"type"`
	Meta        map[string]string `json:"meta"`
	FileStateOS stateOS
}

func gobString(s string) []byte {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(s); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func put(db *bolt.DB, kv map[string]string) {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("kv"))
		for _, k := range keys {
			if kv[k] == "" {
				if err := b.Delete([]byte(k)); err != nil {
					return err
				}
			} else if err := b.Put([]byte(k), gobString(kv[k])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
}

func main() {
	path := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	db, err := bolt.Open(path, 0640, &bolt.Options{Timeout: 50 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("kv")); return err }); err != nil {
		panic(err)
	}
	final := map[string]string{}
	base := time.Date(2026, 12, 1, 3, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	// Batches of states, as successive registry flushes commit them; some later deleted by gc.
	for start := 0; start < n; start += 97 {
		batch := map[string]string{}
		for i := start; i < start+97 && i < n; i++ {
			s := state{Source: fmt.Sprintf("/data/logs/日志-%d/<app>.log", i), Offset: int64(i) * 1_000_003,
				Timestamp: base.Add(time.Duration(i) * time.Second), TTL: -1, Type: "log",
				FileStateOS: stateOS{Inode: uint64(1) << 40 + uint64(i), Device: 2049}}
			if i%5 == 0 {
				s.Meta = map[string]string{"dataid": strconv.Itoa(i)}
			}
			j, _ := json.Marshal(s)
			batch[fmt.Sprintf("state:%d-2049", uint64(1)<<40+uint64(i))] = string(j)
		}
		batch["localtime"] = base.Format(time.UnixDate)
		batch["gseindex_1500001"] = strconv.Itoa(start)
		put(db, batch)
		for k, v := range batch {
			final[k] = v
		}
	}
	gone := map[string]string{}
	for i := 0; i < n; i += 11 {
		k := fmt.Sprintf("state:%d-2049", uint64(1)<<40+uint64(i))
		gone[k] = ""
		delete(final, k)
	}
	// The legacy key, large enough for overflow pages.
	legacy, _ := json.Marshal(make([]state, 40))
	gone["registrar"] = string(legacy)
	final["registrar"] = string(legacy)
	put(db, gone)

	keys := make([]string, 0, len(final))
	for k := range final {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s %s\n", hex.EncodeToString([]byte(k)), hex.EncodeToString([]byte(final[k])))
	}
	fmt.Println("ready")

	stop := make(chan struct{})
	go func() {
		buf := make([]byte, 1)
		os.Stdin.Read(buf)
		close(stop)
	}()
	deadline := time.After(60 * time.Second)
	for i := 0; ; i++ {
		select {
		case <-stop:
			db.Close()
			return
		case <-deadline:
			db.Close()
			return
		default:
		}
		put(db, map[string]string{"localtime": fmt.Sprintf("tick %d", i), "gseindex_7": strconv.Itoa(i)})
		time.Sleep(100 * time.Millisecond)
	}
}
