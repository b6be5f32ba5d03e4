// Load.java: the program of the OpenJDK workload (tests/workloads/java): threads (an
// ExecutorService of 4 workers), NIO (a ServerSocketChannel + SocketChannel echo over
// loopback; FileChannel write, read and map) and GC pressure (MiB of short-lived arrays,
// args[1], with -Xmx smaller than that so several collections run).  Its output is
// deterministic: the same natively and inside vmjail.
//   java Load.java DIR MIB
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

public class Load {
    static void threads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Long>> parts = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            final long lo = t * 250_000L, hi = lo + 250_000L;
            parts.add(pool.submit(() -> {
                long s = 0;
                for (long i = lo; i < hi; i++)
                    s += i % 7 == 0 ? i : 0;
                return s;
            }));
        }
        long sum = 0;
        for (Future<Long> f : parts)
            sum += f.get();
        pool.shutdown();
        System.out.println("threads: 16 tasks on 4 workers, sum " + sum
                           + ", terminated " + pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS));
    }

    static void echo() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread t = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer b = ByteBuffer.allocateDirect(8192);
                    while (c.read(b) >= 0) {
                        b.flip();
                        while (b.hasRemaining())
                            c.write(b);
                        b.clear();
                    }
                } catch (IOException e) {
                    System.out.println("echo server: " + e);
                }
            });
            t.start();
            CRC32 sent = new CRC32(), got = new CRC32();
            long n = 0;
            try (SocketChannel c = SocketChannel.open(server.getLocalAddress())) {
                ByteBuffer out = ByteBuffer.allocate(4096), in = ByteBuffer.allocate(4096);
                for (int i = 0; i < 256; i++) {
                    out.clear();
                    for (int j = 0; j < out.capacity(); j++)
                        out.put((byte) (i * 31 + j));
                    out.flip();
                    sent.update(out.duplicate());
                    while (out.hasRemaining())
                        c.write(out);
                    in.clear();
                    while (in.hasRemaining())
                        if (c.read(in) < 0)
                            throw new IOException("early end of stream");
                    in.flip();
                    got.update(in);
                    n += in.capacity();
                }
                c.shutdownOutput();
            }
            t.join();
            System.out.println("nio echo: " + n + " bytes, crc sent " + Long.toHexString(sent.getValue())
                               + " received " + Long.toHexString(got.getValue()));
        }
    }

    static void files(Path dir) throws Exception {
        Path p = dir.resolve("load.dat");
        int size = 4 << 20;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
                                               StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.allocate(65536);
            for (int off = 0; off < size; off += b.capacity()) {
                b.clear();
                for (int j = 0; j < b.capacity(); j++)
                    b.put((byte) ((off + j) * 13 >>> 3));
                b.flip();
                while (b.hasRemaining())
                    ch.write(b);
            }
            ch.force(true);
            CRC32 read = new CRC32();
            ByteBuffer r = ByteBuffer.allocateDirect(100_000);
            ch.position(0);
            while (ch.read(r) > 0) {
                r.flip();
                read.update(r);
                r.clear();
            }
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
            CRC32 mapped = new CRC32();
            mapped.update(m.duplicate());
            for (int i = 0; i < size; i += 4096)
                m.put(i, (byte) 0x5a);
            m.force();
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, 8192);
            System.out.println("filechannel: " + ch.size() + " bytes, crc read " + Long.toHexString(read.getValue())
                               + " mapped " + Long.toHexString(mapped.getValue())
                               + ", write through the map seen by read: " + (one.get(0) == 0x5a));
        }
        System.out.println("file size on disk: " + Files.size(p));
    }

    static void gc(int mib) {
        long before = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans())
            before += g.getCollectionCount();
        List<byte[]> keep = new ArrayList<>();
        long check = 0;
        for (int i = 0; i < mib * 4; i++) {
            byte[] a = new byte[256 << 10];
            a[i % a.length] = (byte) i;
            check += a[i % a.length];
            keep.add(a);
            if (keep.size() > 64)   // at most 16 MiB live
                keep.remove(0);
        }
        long after = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans())
            after += g.getCollectionCount();
        System.out.println("gc: allocated " + mib + " MiB in 256 KiB arrays, check " + check
                           + ", several collections: " + (after - before >= 3));
    }

    public static void main(String[] args) throws Exception {
        threads();
        echo();
        files(Path.of(args[0]));
        gc(Integer.parseInt(args[1]));
        System.out.println("done");
    }
}
