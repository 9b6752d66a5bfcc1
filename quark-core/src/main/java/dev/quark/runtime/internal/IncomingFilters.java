package dev.quark.runtime.internal;

import java.util.List;

import dev.quark.runtime.ActorCall;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.CallOutcome;
import dev.quark.runtime.filter.IncomingCall;
import dev.quark.runtime.filter.IncomingCallFilter;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incoming filter chain of a runtime, run inside every turn of a contract method. With no filter the
 * turn invokes the method directly and allocates nothing.
 */
public final class IncomingFilters {

    private static final Logger logger = LoggerFactory.getLogger(IncomingFilters.class);

    private final IncomingCallFilter[] filters;

    /**
     * Creates the chain: the metrics filter outermost when metrics are configured, then the given filters.
     * @param filters the filters, outermost first
     * @param metrics where calls are recorded, {@link ActorMetrics#NONE} for nowhere
     */
    public IncomingFilters(List<IncomingCallFilter> filters, ActorMetrics metrics) {
        IncomingCallFilter[] chain = filters.toArray(IncomingCallFilter[]::new);
        if (metrics != ActorMetrics.NONE) {
            IncomingCallFilter[] withMetrics = new IncomingCallFilter[chain.length + 1];
            withMetrics[0] = new MetricsFilter();
            System.arraycopy(chain, 0, withMetrics, 1, chain.length);
            chain = withMetrics;
        }
        this.filters = chain;
    }

    @Nullable Object invoke(Activation activation, Object target, Invocation invocation, ActorMethod method)
            throws Throwable {
        if (this.filters.length == 0) {
            return TurnRunner.invokeMethod(activation, target, invocation, method);
        }
        return new Cursor(activation, target, invocation, method, this.filters).proceed();
    }

    /**
     * Tells the filters about a call that reached this silo but will not run.
     */
    void notRun(Invocation invocation, CallOutcome outcome, @Nullable Throwable failure) {
        ActorMethod method = invocation.method();
        if (this.filters.length == 0 || method == null) {
            return;
        }
        CallView call = new CallView(invocation, method);
        for (IncomingCallFilter filter : this.filters) {
            try {
                filter.notRun(call, outcome, failure);
            }
            catch (RuntimeException ex) {
                logger.warn("Incoming call filter {} failed on {} ({})", filter, call, outcome, ex);
            }
        }
    }

    /**
     * One call as the incoming filters see it, one object for the whole chain: {@link #proceed()} runs the filter at
     * {@link #next}, or the method after the last one. Filters run synchronously, nested inside each other, so when a
     * filter's {@code proceed} returns (or throws) the cursor is back where that filter was: a filter that proceeds
     * again (a retry) runs the filters inside it and the method again, never the method alone past them.
     */
    private static final class Cursor extends CallView implements IncomingCall {

        private final Activation activation;

        private final Object target;

        private final IncomingCallFilter[] filters;

        private int next;

        Cursor(Activation activation, Object target, Invocation invocation, ActorMethod method,
                IncomingCallFilter[] filters) {
            super(invocation, method);
            this.activation = activation;
            this.target = target;
            this.filters = filters;
        }

        @Override
        public @Nullable Object proceed() throws Throwable {
            int index = this.next;
            if (index >= this.filters.length) {
                return TurnRunner.invokeMethod(this.activation, this.target, this.invocation, this.method);
            }
            this.next = index + 1;
            try {
                return this.filters[index].filter(this);
            }
            finally {
                this.next = index;
            }
        }
    }

    /**
     * Records every call in the {@link dev.quark.runtime.CallMetrics} of its method: from its arrival in the
     * mailbox to the end of its turn, or to the moment it was dropped.
     */
    private static final class MetricsFilter implements IncomingCallFilter {

        @Override
        public @Nullable Object filter(IncomingCall call) throws Throwable {
            CallView view = (CallView) call;
            Invocation invocation = view.invocation;
            ActorMethod method = view.method;
            try {
                Object result = call.proceed();
                method.metrics().record(CallOutcome.SUCCESS, System.nanoTime() - invocation.arrivedNanos);
                return result;
            }
            catch (Throwable ex) {
                method.metrics().record(CallOutcome.FAILURE, System.nanoTime() - invocation.arrivedNanos);
                throw ex;
            }
        }

        @Override
        public void notRun(ActorCall call, CallOutcome outcome, @Nullable Throwable failure) {
            CallView view = (CallView) call;
            view.method.metrics().record(outcome, System.nanoTime() - view.invocation.arrivedNanos);
        }

        @Override
        public String toString() {
            return "metrics";
        }
    }
}
