import json, time, sys
from cfgmft.commands.schedule_confirm import confirm
out=[]
for prior in ("sphere","gaussian"):
    for a in (0.3, 0.6):
        t=time.time()
        r=confirm(prior, a, 12, 3.0, "sde", samples=4000, disorder=4, steps=400, seed=20260223,
                  finite_d_samples=2000, finite_d_global=16, finite_d_maxiter=20, n_global=32)
        r["seconds"]=time.time()-t
        out.append(r)
        mc=r.get("monte_carlo",{})
        print(prior,a,r.get("schedule"),r["confirmed"],r["reason"], {k:(mc[k]["var_ratio"],mc[k]["accuracy"]) for k in mc}, round(r["seconds"]), flush=True)
        json.dump(out, open("confirm_d12.json","w"), indent=1, default=str)
