"""村居意见箱和公开栏: what the family cites. 村民委员会组织法第三十条 sets what the public notice board shows and
how often; no statute sets the opinion box (legal-facts §10 rows 1–2), so its one check is of the data."""

DATA_CHECK = "数据核对（无法定依据，legal-facts §10 第1行）"
