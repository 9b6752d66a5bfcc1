package dev.quark.testkit.server;

import java.io.IOException;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

class TcpProxyTests {

    @Test
    void proxiesUntilCutAndAgainAfterRestore() throws IOException {
        RedisTestServer redis = RedisTestServer.get();
        try (TcpProxy proxy = TcpProxy.start(redis.host(), redis.port())) {
            RespClient before = new RespClient(proxy.host(), proxy.port(), redis.password());
            assertThat(before.command("PING")).isEqualTo("PONG");

            proxy.cut();
            assertThat(proxy.isCut()).isTrue();
            assertThatIOException().isThrownBy(() -> before.command("PING"));
            assertThatIOException().isThrownBy(() -> {
                try (RespClient during = new RespClient(proxy.host(), proxy.port(), redis.password())) {
                    during.command("PING");
                }
            });

            proxy.restore();
            try (RespClient after = new RespClient(proxy.host(), proxy.port(), redis.password())) {
                assertThat(after.command("PING")).isEqualTo("PONG");
            }
            before.close();
        }
    }
}
