package dev.quark.durabletasks.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class InstanceCacheTests {

    @Test
    void theDefaultCapacityIsZeroBeforeJava24WhereParkedSynchronizedCodePinsItsCarrierThread() {
        assertThat(InstanceCache.defaultCapacity(21)).isZero();
        assertThat(InstanceCache.defaultCapacity(23)).isZero();
        assertThat(InstanceCache.defaultCapacity(24)).isEqualTo(1_000);
        assertThat(InstanceCache.defaultCapacity(25)).isEqualTo(InstanceCache.DEFAULT_CAPACITY);
    }

    @Test
    void aNegativeCapacityIsRefusedAndZeroKeepsNothing() {
        assertThatIllegalArgumentException().isThrownBy(() -> new InstanceCache(-1, new InstanceCache.Listener() {
        })).withMessageContaining("-1");
        assertThat(InstanceCache.disabled().enabled()).isFalse();
        assertThat(new InstanceCache(3, new InstanceCache.Listener() {
        }).capacity()).isEqualTo(3);
    }

    @Test
    void closingAnEmptyCacheReturnsAtOnce() {
        InstanceCache cache = new InstanceCache(3, new InstanceCache.Listener() {
        });
        cache.close();
        assertThat(cache.size()).isZero();
    }
}
