# O_DIRECT reads of random aligned blocks from a store's four blob files, 1 to 8 reads in flight (threads), two passes.
# Usage: python3 queue_depth.py STORE_DIR > queue-depth.txt
import os, mmap, random, threading, time, sys
store = sys.argv[1] if len(sys.argv) > 1 else "/root/.cache/strata/vs-llamacpp/olmoe-bf16"
files=[f"{store}/experts-00{i}.bin" for i in range(4)]
fds=[os.open(f, os.O_RDONLY|os.O_DIRECT) for f in files]
size=os.path.getsize(files[0])
def run(depth, block, total=512<<20):
    n=total//block
    offs=[(random.randrange(4), random.randrange(size//block)*block) for _ in range(n)]
    bufs=[mmap.mmap(-1, block) for _ in range(depth)]
    def lane(q):
        for i in range(q, n, depth):
            f,o=offs[i]
            os.preadv(fds[f],[bufs[q]],o)
    t=time.time()
    ts=[threading.Thread(target=lane,args=(q,)) for q in range(depth)]
    [x.start() for x in ts]; [x.join() for x in ts]
    return n*block/(time.time()-t)/1e9
for rep in range(2):
  for block in [1<<20, 4<<20, 12<<20]:
    for depth in [1,2,4,8]:
        print(f"block {block>>20}MiB depth {depth}: {run(depth,block):.2f} GB/s", flush=True)
